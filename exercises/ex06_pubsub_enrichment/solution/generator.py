"""The raw stream: shop events naming a book by ISBN-13, published to the raw topic.

Popularity is skewed (a Zipf-like law over a shuffled catalog), as real traffic is: a few books get
most views, which is what makes the enricher's cache worth having. Optionally a share of events is
bad on purpose (unknown ISBNs) so the dead-letter path is exercised in demos.

Imports nothing from the platform, so it deploys as is beside the Cloud Function in `deploy/function/`.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.cloud import pubsub_v1

ACTIONS = ("view", "view", "view", "add_to_cart", "purchase")


@dataclass(frozen=True)
class Sent:
    event_id: str
    book_id: str


def make_event(book_id: str, rng: random.Random) -> dict[str, str]:
    """One raw event: a unique id, the book, what happened, and when (RFC 3339, UTC)."""
    return {"event_id": uuid.UUID(int=rng.getrandbits(128)).hex, "book_id": book_id,
            "action": rng.choice(ACTIONS), "ts": datetime.now(UTC).isoformat(timespec="milliseconds")}


def pick_books(isbns: Sequence[str], count: int, rng: random.Random, skew: float = 1.1) -> list[str]:
    """`count` ISBNs drawn with Zipf-like popularity (rank r has weight 1/r**skew)."""
    ranked = list(isbns)
    rng.shuffle(ranked)
    weights = [1 / (rank ** skew) for rank in range(1, len(ranked) + 1)]
    return rng.choices(ranked, weights=weights, k=count)


def publish_events(publisher: pubsub_v1.PublisherClient, topic_path: str, book_ids: Sequence[str],
                   rate_per_s: float = 0.0, seed: int | None = None) -> list[Sent]:
    """Publish one event per book id at `rate_per_s` (0 = flat out); return once all are accepted."""
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
