"""The raw stream's provided parts: skewed book popularity and the publishing loop.

Popularity is skewed (a Zipf-like law over a shuffled catalog), as real traffic is: a few books get
most views, which is what makes the enricher's cache worth having. Imports nothing from the platform,
so it deploys as is beside the Cloud Function in `deploy/function/`.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from google.cloud import pubsub_v1

ACTIONS = ("view", "view", "view", "add_to_cart", "purchase")


@dataclass(frozen=True)
class Sent:
    event_id: str
    book_id: str


def pick_books(isbns: Sequence[str], count: int, rng: random.Random, skew: float = 1.1) -> list[str]:
    """`count` ISBNs drawn with Zipf-like popularity (rank r has weight 1/r**skew)."""
    ranked = list(isbns)
    rng.shuffle(ranked)
    weights = [1 / (rank ** skew) for rank in range(1, len(ranked) + 1)]
    return rng.choices(ranked, weights=weights, k=count)


def publish_with(make_event: Callable[[str, random.Random], dict[str, str]],
                 publisher: pubsub_v1.PublisherClient, topic_path: str, book_ids: Sequence[str],
                 rate_per_s: float = 0.0, seed: int | None = None) -> list[Sent]:
    """Publish `make_event(book_id, rng)` per book id at `rate_per_s` (0 = flat out), the `event_id`
    also as an attribute; return once Pub/Sub accepted all of them."""
    rng = random.Random(seed)
    futures, sent = [], []
    began = time.monotonic()
    for i, book_id in enumerate(book_ids):
        if rate_per_s > 0 and (delay := began + i / rate_per_s - time.monotonic()) > 0:
            time.sleep(delay)
        event = make_event(book_id, rng)
        futures.append(publisher.publish(topic_path, json.dumps(event).encode(), event_id=event["event_id"]))
        sent.append(Sent(event["event_id"], book_id))
    for future in futures:
        future.result(timeout=60)
    return sent
