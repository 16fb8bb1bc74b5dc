"""The enricher: raw events in, events with their book's details out, failures to a dead-letter topic.

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
the process every time it is handled. The streaming pull, shutdown and settings are in `runtime.py`.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from exercises.ex06_pubsub_enrichment.catalog import is_valid_isbn13
from exercises.ex06_pubsub_enrichment.runtime import (
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
    """The event as a dict with a valid ISBN-13 `book_id`; BadMessageError saying why otherwise."""
    try:
        event = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadMessageError(f"malformed JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise BadMessageError("malformed event: not a JSON object")
    book_id = event.get("book_id")
    if book_id is None or book_id == "":
        raise BadMessageError("missing book_id")
    if not isinstance(book_id, str) or not is_valid_isbn13(book_id):
        raise BadMessageError(f"malformed book_id: {book_id!r} is not an ISBN-13")
    return event


class BookClient(BookClientBase):
    """Book lookups over pooled async HTTP, with a bounded TTL cache and per-key single flight."""

    async def get_book(self, isbn: str) -> dict[str, Any]:
        """The book's details: from the cache, or joined to an identical request in flight, or fetched."""
        if self.cache is not None and isbn in self.cache:
            self.stats.cache_hits += 1
            return self.cache[isbn]
        pending = self._inflight.get(isbn)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._inflight[isbn] = future
        try:
            book = await self._fetch(isbn)
            if self.cache is not None:
                self.cache[isbn] = book
            future.set_result(book)
            return book
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: joiners re-raise it, nobody else must
            raise
        finally:
            del self._inflight[isbn]

    async def _request(self, isbn: str) -> dict[str, Any]:
        self.stats.requests += 1
        try:
            response = await self.http.get(f"/books/{isbn}")
        except httpx.TransportError as exc:  # refused, reset, timeouts
            raise TransientError(f"bookstore unreachable: {type(exc).__name__}") from exc
        if response.status_code == 200:
            book: dict[str, Any] = response.json()
            return book
        if response.status_code == 404:
            raise UnknownBookError(f"unknown book_id {isbn} (404)")
        if response.status_code == 422:
            raise BadMessageError(f"malformed book_id {isbn} (422)")
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"bookstore answered {response.status_code}")
        raise BadMessageError(f"bookstore answered {response.status_code} for {isbn}")


class Enricher(EnricherBase):
    """Handles one message at a time per task; acks only after its output is safely published."""

    async def handle(self, message: Any) -> str:
        """Enrich, dead-letter or hand back one message; returns what happened (for logs and tests)."""
        try:
            event = parse_event(message.data)
            book = await self.client.get_book(event["book_id"])
        except BadMessageError as exc:
            return await self._dead_letter(message, exc)
        except TransientError as exc:
            attempt = message.delivery_attempt or 0
            if attempt >= self.settings.max_delivery_attempts:
                return await self._dead_letter(message, exc, f"gave up after {attempt} deliveries: ")
            return await self.hand_back(message)
        enriched = {"event": event, "book": book, "enriched_at": datetime.now(UTC).isoformat()}
        try:
            await self.publish(self.enriched_topic, json.dumps(enriched).encode(),
                               event_id=str(event.get("event_id", "")), book_id=event["book_id"])
        except Exception as exc:
            log.warning("publish failed, message handed back: %s", exc)
            return await self.hand_back(message)
        message.ack()
        self.counters.enriched += 1
        publish_time = getattr(message, "publish_time", None)
        if publish_time is not None:
            self.counters.latencies_s.append(time.time() - publish_time.timestamp())
        return "enriched"

    async def _dead_letter(self, message: Any, exc: Exception, prefix: str = "") -> str:
        attributes = {"reason": f"{prefix}{exc}"[:1000], "error_type": type(exc).__name__,
                      "original_message_id": str(getattr(message, "message_id", "")),
                      "delivery_attempt": str(message.delivery_attempt or 0)}
        try:
            await self.publish(self.dead_letter_topic, message.data or b" ", **attributes)
        except Exception as publish_error:
            log.warning("dead-letter publish failed, message handed back: %s", publish_error)
            return await self.hand_back(message)
        message.ack()
        self.counters.dead_lettered += 1
        return "dead_lettered"


async def serve(settings: EnricherSettings, stop: asyncio.Event, on_ready: Any = None,
                publisher: Any = None) -> Counters:
    """Run this module's `Enricher` until `stop` is set (the runtime's `serve`, with these classes)."""
    return await serve_with(settings, stop, BookClient, Enricher, on_ready=on_ready, publisher=publisher)


def main() -> None:
    """Run until SIGINT/SIGTERM; print one line of counters on the way out."""
    run_main(BookClient, Enricher)


if __name__ == "__main__":
    main()
