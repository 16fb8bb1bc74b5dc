"""YOUR TASK. The raw stream: shop events naming a book by ISBN-13, published to the raw topic.

Popularity and the publishing loop are provided (`events.py`); an event is made here. Imports nothing
from the platform, so it deploys as is beside the Cloud Function in `deploy/function/`.
"""

from __future__ import annotations

import random
import uuid  # noqa: F401  # yours to use
from collections.abc import Sequence
from datetime import UTC, datetime  # noqa: F401  # yours to use

from google.cloud import pubsub_v1

from exercises.ex06_pubsub_enrichment.events import (  # noqa: F401  # yours to use
    ACTIONS,
    Sent,
    pick_books,
    publish_with,
)

__all__ = ["Sent", "make_event", "pick_books", "publish_events"]


def make_event(book_id: str, rng: random.Random) -> dict[str, str]:
    """One raw event: a unique id, the book, what happened, and when (RFC 3339, UTC).

    {"event_id": 32 hex digits drawn from `rng` (so a seed repeats the ids), "book_id": book_id,
    "action": one of ACTIONS chosen with `rng`, "ts": now in UTC, to the millisecond}.
    """
    raise NotImplementedError("make_event: event_id from rng.getrandbits(128), book_id, action, ts")


def publish_events(publisher: pubsub_v1.PublisherClient, topic_path: str, book_ids: Sequence[str],
                   rate_per_s: float = 0.0, seed: int | None = None) -> list[Sent]:
    """Publish one event per book id at `rate_per_s` (0 = flat out); return once all are accepted."""
    return publish_with(make_event, publisher, topic_path, book_ids, rate_per_s, seed)
