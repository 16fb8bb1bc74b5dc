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
the process every time it is handled.

Configuration comes from the environment (see `EnricherSettings`); the same code runs on Cloud Run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from cachetools import TTLCache
from google.cloud import pubsub_v1
from pydantic_settings import BaseSettings, SettingsConfigDict
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from exercises.ex06_pubsub_enrichment.catalog import is_valid_isbn13

log = logging.getLogger("enricher")


class EnricherSettings(BaseSettings):
    """Everything from the environment; defaults fit the local run."""

    model_config = SettingsConfigDict(extra="ignore")

    pubsub_project_id: str = "bootcamp-local"
    raw_subscription: str = "ex06-raw-enricher"
    enriched_topic: str = "ex06-enriched"
    dead_letter_topic: str = "ex06-dead-letter"
    bookstore_url: str = "http://127.0.0.1:8090"
    max_in_flight: int = 200            # flow control: leased, unacked messages
    http_connections: int = 50          # connection pool size
    http_timeout_s: float = 2.0
    http_attempts: int = 3              # in-process tries before handing the message back (nack)
    cache_size: int = 10_000            # 0 disables the cache
    cache_ttl_s: float = 300.0
    max_delivery_attempts: int = 10     # the subscription's dead-letter policy, mirrored here
    lease_extension_s: int = 0          # stream ack deadline: how soon a crashed worker's leases return
                                        # (0 = the client's 60 s; 10..600 otherwise)
    drain_timeout_s: float = 20.0
    port: int | None = None             # Cloud Run sets PORT: answer its startup and liveness probes
    health_host: str = "127.0.0.1"      # the container image sets 0.0.0.0


class BadMessageError(Exception):
    """The message can never be enriched (its bytes are wrong): dead-letter it."""


class UnknownBookError(BadMessageError):
    """The API says 404: no such book."""


class TransientError(Exception):
    """Worth trying again later: connection refused, timeout, 5xx, 429."""


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


@dataclass
class ClientStats:
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0


class BookClient:
    """Book lookups over pooled async HTTP, with a bounded TTL cache and per-key single flight."""

    def __init__(self, settings: EnricherSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.AsyncClient(
            base_url=settings.bookstore_url,
            timeout=httpx.Timeout(settings.http_timeout_s, connect=min(1.0, settings.http_timeout_s)),
            limits=httpx.Limits(max_connections=settings.http_connections,
                                max_keepalive_connections=settings.http_connections))
        self.cache: TTLCache[str, dict[str, Any]] | None = None
        if settings.cache_size > 0:
            self.cache = TTLCache(maxsize=settings.cache_size, ttl=settings.cache_ttl_s)
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.stats = ClientStats()

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

    async def _fetch(self, isbn: str) -> dict[str, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.http_attempts),
            wait=wait_exponential_jitter(initial=0.1, max=1.0, jitter=0.2),
            retry=retry_if_exception_type(TransientError), reraise=True)
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self.stats.retries += 1
                return await self._request(isbn)
        raise AssertionError("unreachable: tenacity re-raises")  # pragma: no cover

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

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass
class Counters:
    enriched: int = 0
    dead_lettered: int = 0
    nacked: int = 0
    latencies_s: list[float] = field(default_factory=list)


def _wrap(future: Future[Any]) -> Awaitable[Any]:
    return asyncio.wrap_future(future)


class Enricher:
    """Handles one message at a time per task; acks only after its output is safely published."""

    def __init__(self, settings: EnricherSettings, client: BookClient,
                 publisher: pubsub_v1.PublisherClient) -> None:
        self.settings = settings
        self.client = client
        self.publisher = publisher
        project = settings.pubsub_project_id
        self.enriched_topic = publisher.topic_path(project, settings.enriched_topic)
        self.dead_letter_topic = publisher.topic_path(project, settings.dead_letter_topic)
        self.counters = Counters()

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
            message.nack()
            self.counters.nacked += 1
            return "nacked"
        enriched = {"event": event, "book": book, "enriched_at": datetime.now(UTC).isoformat()}
        try:
            await _wrap(self.publisher.publish(
                self.enriched_topic, json.dumps(enriched).encode(),
                event_id=str(event.get("event_id", "")), book_id=event["book_id"]))
        except Exception as exc:
            log.warning("publish failed, message handed back: %s", exc)
            message.nack()
            self.counters.nacked += 1
            return "nacked"
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
            await _wrap(self.publisher.publish(self.dead_letter_topic, message.data or b" ", **attributes))
        except Exception as publish_error:
            log.warning("dead-letter publish failed, message handed back: %s", publish_error)
            message.nack()
            self.counters.nacked += 1
            return "nacked"
        message.ack()
        self.counters.dead_lettered += 1
        return "dead_lettered"


async def _health_server(host: str, port: int) -> asyncio.Server:
    """A minimal HTTP 200 on every request: Cloud Run wants a listening port even for a pull worker."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                         b"Connection: close\r\n\r\nok")
            await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, host, port)


async def serve(settings: EnricherSettings, stop: asyncio.Event,
                on_ready: Callable[[Enricher], None] | None = None) -> Counters:
    """Pull, enrich and ack until `stop` is set; then drain in-flight work and shut down cleanly."""
    loop = asyncio.get_running_loop()
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    client = BookClient(settings)
    enricher = Enricher(settings, client, publisher)
    inflight: set[Future[str]] = set()
    accepting = True

    def callback(message: Any) -> None:  # runs on the subscriber's threads
        if not accepting:
            message.nack()
            return
        task = asyncio.run_coroutine_threadsafe(enricher.handle(message), loop)
        inflight.add(task)

        def done(finished: Future[str]) -> None:
            inflight.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                # A bug, not bad input: say so loudly and hand the message back for another try.
                log.error("handling %s failed: %r", getattr(message, "message_id", "?"), finished.exception())
                message.nack()

        task.add_done_callback(done)

    subscription = subscriber.subscription_path(settings.pubsub_project_id, settings.raw_subscription)
    flow = pubsub_v1.types.FlowControl(max_messages=settings.max_in_flight,
                                       max_duration_per_lease_extension=settings.lease_extension_s)
    streaming = subscriber.subscribe(subscription, callback, flow_control=flow)
    log.info("enriching %s -> %s", subscription, enricher.enriched_topic)
    health = await _health_server(settings.health_host, settings.port) if settings.port else None
    if on_ready:
        on_ready(enricher)
    stopped = asyncio.ensure_future(stop.wait())
    failed = asyncio.wrap_future(streaming)
    await asyncio.wait({stopped, failed}, return_when=asyncio.FIRST_COMPLETED)
    accepting = False
    # Finish what is leased while the stream is still open, so the acks and nacks reach Pub/Sub.
    deadline = loop.time() + settings.drain_timeout_s
    while inflight and loop.time() < deadline:
        await asyncio.sleep(0.05)
    streaming.cancel()  # stops pulling and closes the stream; its future then reports "cancelled"
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(asyncio.wrap_future(streaming), timeout=10)
    stopped.cancel()
    if health is not None:
        health.close()
        await health.wait_closed()
    await client.aclose()
    subscriber.close()
    publisher.stop()
    return enricher.counters


def main() -> None:
    """Run until SIGINT/SIGTERM; print one line of counters on the way out."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = EnricherSettings()

    async def run() -> Counters:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await serve(settings, stop, on_ready=lambda _: print("enricher ready", flush=True))

    counters = asyncio.run(run())
    print(f"enricher stopped: enriched={counters.enriched} dead_lettered={counters.dead_lettered} "
          f"nacked={counters.nacked}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    random.seed()
    main()
