"""YOUR TASK. The enricher: raw events in, enriched events out, failures to a dead-letter topic.

    raw subscription ──streaming pull (flow control: at most N leased)──▶ handle(message)
        parse_event ── bad JSON / no book_id / malformed ISBN ─────────────▶ dead letter, ack
        BookClient.get_book  (TTL cache ▸ single flight ▸ pooled async HTTP ▸ retries with jittered backoff)
            404 unknown / 422 malformed ───────────────────────────────────▶ dead letter, ack
            API down, timeouts, 5xx (after the in-process retries) ─────────▶ nack: Pub/Sub redelivers
              ... on the subscription's last delivery attempt ─────────────▶ dead letter, ack
        publish enriched ── the publish future resolved ──▶ ack   (failed ──▶ nack)

At-least-once: a message is acked only after its enriched (or dead-letter) message's publish has
succeeded, so a crash anywhere before that means redelivery, never loss; consumers dedup on
`event_id`. The dead-letter message carries the original bytes untouched and the reason in attributes.
The subscription's own dead-letter policy (same max attempts) is the backstop for a message that kills
the process every time it is handled. The streaming pull, shutdown and settings are provided in
`runtime.py` (worth a read). Grade your work with `bootcamp check ex06`.
"""

from __future__ import annotations

import asyncio
import json  # noqa: F401  # yours to use
import time  # noqa: F401  # yours to use
from datetime import UTC, datetime  # noqa: F401  # yours to use
from typing import Any

import httpx  # noqa: F401  # yours to use

from exercises.ex06_pubsub_enrichment.catalog import is_valid_isbn13  # noqa: F401  # yours to use
from exercises.ex06_pubsub_enrichment.runtime import (  # noqa: F401  # yours to use
    BadMessageError,
    BookClientBase,
    ClientStats,
    Counters,
    EnricherBase,
    EnricherSettings,
    TransientError,
    UnknownBookError,
    log,
    run_main,
)
from exercises.ex06_pubsub_enrichment.runtime import serve as serve_with

__all__ = ["BadMessageError", "BookClient", "ClientStats", "Counters", "Enricher", "EnricherSettings",
           "TransientError", "UnknownBookError", "main", "parse_event", "serve"]


def parse_event(data: bytes) -> dict[str, Any]:
    """The event as a dict with a valid ISBN-13 `book_id`; BadMessageError saying why otherwise.

    Reasons (the tests match them): "malformed JSON: ..." (bytes that are not UTF-8 JSON), "malformed
    event: not a JSON object", "missing book_id" (absent or empty), "malformed book_id: ..." (not a
    string, or not a valid ISBN-13: `is_valid_isbn13`).
    """
    raise NotImplementedError("parse_event: json.loads, then check the object and its book_id")


class BookClient(BookClientBase):
    """Book lookups over pooled async HTTP, with a bounded TTL cache and per-key single flight.

    Provided by `BookClientBase`: `self.http` (an httpx.AsyncClient on the API), `self.cache` (a TTLCache,
    or None when CACHE_SIZE=0), `self._inflight` (isbn -> asyncio.Future of a lookup in flight),
    `self.stats` (count `requests` and `cache_hits`), and `await self._fetch(isbn)`, which calls your
    `_request` up to HTTP_ATTEMPTS times while it raises TransientError.
    """

    async def get_book(self, isbn: str) -> dict[str, Any]:
        """The book's details: from the cache (count a hit), or joined to an identical lookup in flight
        (await it, shielded, so one caller's cancellation does not cancel it for all), or fetched with
        `_fetch`, put in the cache and handed to the joiners. A failure reaches every joiner too, and
        the in-flight entry is removed whatever happens."""
        raise NotImplementedError("BookClient.get_book: cache, then single flight, then _fetch")

    async def _request(self, isbn: str) -> dict[str, Any]:
        """One `GET /books/{isbn}` (count it in `stats.requests`): 200 is the book; 404 UnknownBookError
        and 422 BadMessageError (permanent: "unknown book_id ..." / "malformed book_id ..."); a transport
        error, 429 or any 5xx TransientError ("bookstore unreachable: ..." / "bookstore answered 503");
        any other status BadMessageError."""
        raise NotImplementedError("BookClient._request: map transport errors and status codes to errors")


class Enricher(EnricherBase):
    """Handles one message at a time per task; acks only after its output is safely published.

    Provided by `EnricherBase`: `self.client` (your BookClient), `self.enriched_topic`,
    `self.dead_letter_topic`, `self.counters`, `await self.publish(topic, data, **attributes)` (raises if
    the publish failed) and `await self.hand_back(message)` (nack, counted; returns "nacked").
    """

    async def handle(self, message: Any) -> str:
        """Enrich, dead-letter or hand back one message; return "enriched", "dead_lettered" or "nacked".

        Parse and look the book up. Bad input (BadMessageError) goes to `_dead_letter`. A TransientError
        is handed back, unless `message.delivery_attempt` has reached `settings.max_delivery_attempts`:
        then dead-letter it with the reason prefixed "gave up after N deliveries: ". Otherwise publish
        {"event", "book", "enriched_at"} as JSON to the enriched topic with attributes `event_id` and
        `book_id`; only once that publish succeeded, ack and count `counters.enriched`; if it failed,
        hand the message back.
        """
        raise NotImplementedError("Enricher.handle: parse, look up, publish, and only then ack")

    async def _dead_letter(self, message: Any, exc: Exception, prefix: str = "") -> str:
        """Publish the original bytes (`message.data`, or b" " if empty) to the dead-letter topic with
        attributes `reason` (prefix + the error, at most 1000 characters), `error_type`,
        `original_message_id` and `delivery_attempt`; ack once it succeeded (count
        `counters.dead_lettered`), hand back if it failed."""
        raise NotImplementedError("Enricher._dead_letter: publish the original bytes, reason, then ack")


async def serve(settings: EnricherSettings, stop: asyncio.Event, on_ready: Any = None,
                publisher: Any = None) -> Counters:
    """Run this module's `Enricher` until `stop` is set (the runtime's `serve`, with these classes)."""
    return await serve_with(settings, stop, BookClient, Enricher, on_ready=on_ready, publisher=publisher)


def main() -> None:
    """Run until SIGINT/SIGTERM; print one line of counters on the way out."""
    run_main(BookClient, Enricher)


if __name__ == "__main__":
    main()
