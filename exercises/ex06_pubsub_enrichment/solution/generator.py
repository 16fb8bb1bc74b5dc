"""The raw stream: shop events naming a book by ISBN-13, published to the raw topic.

Popularity and the publishing loop are provided (`events.py`); an event is made here. Imports nothing
from the platform, so it deploys as is beside the Cloud Function in `deploy/function/`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from google.cloud import pubsub_v1

from exercises.ex06_pubsub_enrichment.events import ACTIONS, Sent, pick_books, publish_with

__all__ = ["Sent", "make_event", "pick_books", "publish_events"]


def make_event(book_id: str, rng: random.Random) -> dict[str, str]:
    """One raw event: a unique id, the book, what happened, and when (RFC 3339, UTC)."""
    return {"event_id": uuid.UUID(int=rng.getrandbits(128)).hex, "book_id": book_id,
            "action": rng.choice(ACTIONS), "ts": datetime.now(UTC).isoformat(timespec="milliseconds")}


def publish_events(publisher: pubsub_v1.PublisherClient, topic_path: str, book_ids: Sequence[str],
                   rate_per_s: float = 0.0, seed: int | None = None) -> list[Sent]:
    """Publish one event per book id at `rate_per_s` (0 = flat out); return once all are accepted."""
    return publish_with(make_event, publisher, topic_path, book_ids, rate_per_s, seed)
