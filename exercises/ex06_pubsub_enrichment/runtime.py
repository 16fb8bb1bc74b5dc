"""The enricher's provided runtime: settings, errors, the HTTP client's plumbing, and the streaming-pull
service around the learner's `Enricher.handle`. Not part of what the learner writes, but worth a read.

    raw subscription ──streaming pull (FlowControl: at most MAX_IN_FLIGHT leased)──▶ callback (client thread)
        ──LoopHandoff (a wake-up per batch)──▶ Enricher.handle(message) on one asyncio loop (learner's code)
    SIGTERM ──▶ stop taking messages (nack new ones), let in-flight ones finish while the stream is still
               open (so their acks reach Pub/Sub), close the stream, the HTTP pool, the publisher.

Configuration comes from the environment (`EnricherSettings`); the same code runs on Cloud Run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx
from cachetools import TTLCache
from google.cloud import pubsub_v1
from pydantic_settings import BaseSettings, SettingsConfigDict
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

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
    http_connections: int = 10          # connection pool size (measured: 10 beat 20 and 50 here, see README)
    http_timeout_s: float = 2.0
    http_attempts: int = 3              # in-process tries before handing the message back (nack)
    cache_size: int = 10_000            # 0 disables the cache
    cache_ttl_s: float = 300.0
    cache_preload: bool = False         # fill the cache from `GET /books` pages at start, and again every
                                        # CACHE_TTL_S/2: no per-event lookups while the catalog fits the
                                        # cache (README, "Tune it"); misses still take the per-key path
    max_delivery_attempts: int = 10     # the subscription's dead-letter policy, mirrored here
    lease_extension_s: int = 0          # max_duration_per_lease_extension: the most each lease
                                        # extension asks for (0 = the client's own, from its ack-latency
                                        # histogram, 10..600 s), so how soon a crashed worker's leases expire
    nack_delay_s: float = 0.0           # wait before a nack, doubling per delivery (capped at 10 s): for a
                                        # subscription without a retry policy (the local one); 0 in the cloud
    drain_timeout_s: float = 20.0       # on SIGTERM; the Cloud Run image sets 8 (it kills 10 s after SIGTERM)
    batched_handoff: bool = True        # LoopHandoff: one loop wake-up per batch (False: one per message)
    publish_batch_messages: int = 100   # publisher BatchSettings.max_messages (the client's default: 100)
    publish_batch_latency_s: float = 0.01  # BatchSettings.max_latency (default 0.01 s): how long a batch
                                        # waits to fill; bigger batches, fewer RPCs and threads, more latency
    port: int | None = None             # Cloud Run sets PORT: answer its startup and liveness probes
    health_host: str = "127.0.0.1"      # the container image sets 0.0.0.0


class BadMessageError(Exception):
    """The message can never be enriched (its bytes are wrong): dead-letter it."""


class UnknownBookError(BadMessageError):
    """The API says 404: no such book."""


class TransientError(Exception):
    """Worth trying again later: connection refused, timeout, 5xx, 429."""


@dataclass
class ClientStats:
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0


class BookClientBase:
    """The book client's plumbing: the pooled HTTP client, the cache, the single-flight table, the retry
    loop. The learner's `BookClient` adds `get_book` (cache and single flight) and `_request` (one GET,
    its status code turned into a book or an error)."""

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
        raise NotImplementedError  # the learner's BookClient

    async def _request(self, isbn: str) -> dict[str, Any]:
        raise NotImplementedError  # the learner's BookClient

    async def _fetch(self, isbn: str) -> dict[str, Any]:
        """`_request` with up to `http_attempts` tries on TransientError, jittered exponential backoff."""
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

    async def preload(self, page_size: int = 100) -> int:
        """Put the whole catalog (as much as the cache holds) in the cache, a page of `GET /books` at
        a time; returns how many books it loaded.

        For reference data this small (5 000 books, about 2 MB) one bulk read replaces thousands of
        per-event lookups: the cold start's misses, and the Zipf tail's misses that a per-key cache
        never stops paying. The entries are the same dicts `GET /books/{isbn}` returns (one schema,
        `BookOut`), so an enriched message does not depend on which path filled the cache.
        """
        if self.cache is None:
            return 0
        loaded = 0
        offset: int | None = 0
        while offset is not None and loaded < self.cache.maxsize:
            response = await self.http.get("/books", params={"limit": page_size, "offset": offset})
            response.raise_for_status()
            page = response.json()
            for book in page["items"][: self.cache.maxsize - loaded]:
                self.cache[book["isbn"]] = book
                loaded += 1
            offset = page["next_offset"]
        return loaded

    async def try_preload(self) -> None:
        """`preload`, logged; a failure is logged and left to the per-key path (lookups still work)."""
        try:
            log.info("cache preloaded with %d books", await self.preload())
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            log.warning("cache preload failed, lookups go one by one: %r", exc)

    async def keep_preloaded(self) -> None:
        """`try_preload` every CACHE_TTL_S/2, so preloaded entries are replaced before they expire."""
        while True:
            await asyncio.sleep(max(1.0, self.settings.cache_ttl_s / 2))
            await self.try_preload()

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass
class Counters:
    enriched: int = 0
    dead_lettered: int = 0
    nacked: int = 0
    latencies_s: list[float] = field(default_factory=list)


class LoopHandoff:
    """Runs callables on one asyncio loop, handed over from other threads, one wake-up per batch.

    `loop.call_soon_threadsafe` per message (what `run_coroutine_threadsafe` and `wrap_future` do) writes
    to the loop's self-pipe and wakes it once per message, twice per message here (the pull callback,
    then the publish result), each from a different client thread, all fighting for the GIL. A queue
    that wakes the loop only when it was empty turns hundreds of wake-ups into a few per batch; the
    order of the work is unchanged. (The README's "Tune it" measures it.)
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, batched: bool = True) -> None:
        self.loop = loop
        self.batched = batched  # False: one call_soon_threadsafe per call (the README's "before")
        self._queue: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()
        self._scheduled = False

    def __len__(self) -> int:
        return len(self._queue)

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        """Run `fn(*args)` on the loop soon; callable from any thread, the loop's included."""
        if not self.batched:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(fn, *args)
            return
        self._queue.append((fn, args))
        if not self._scheduled:  # a race here only schedules one drain too many, never one too few
            self._scheduled = True
            with contextlib.suppress(RuntimeError):  # the loop is closed: nothing left to run it
                self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        self._scheduled = False  # before popping: a submit after this point schedules its own drain
        while self._queue:
            fn, args = self._queue.popleft()
            try:
                fn(*args)
            except Exception:
                log.exception("handed-over call %r failed", fn)


def _settle(waiter: asyncio.Future[str], done: Future[str]) -> None:
    if waiter.cancelled():
        return
    error = done.exception()
    if error is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(done.result())


class EnricherBase:
    """What the learner's `Enricher` builds on: topics, counters, awaiting a publish, handing back."""

    def __init__(self, settings: EnricherSettings, client: BookClientBase,
                 publisher: pubsub_v1.PublisherClient) -> None:
        self.settings = settings
        self.client = client
        self.publisher = publisher
        project = settings.pubsub_project_id
        self.enriched_topic = publisher.topic_path(project, settings.enriched_topic)
        self.dead_letter_topic = publisher.topic_path(project, settings.dead_letter_topic)
        self.counters = Counters()
        self._handoff: LoopHandoff | None = None

    def handoff(self) -> LoopHandoff:
        """The hand-off to the running loop (one per loop: tests run several loops one after another)."""
        loop = asyncio.get_running_loop()
        if self._handoff is None or self._handoff.loop is not loop:
            self._handoff = LoopHandoff(loop, batched=self.settings.batched_handoff)
        return self._handoff

    async def handle(self, message: Any) -> str:
        raise NotImplementedError  # the learner's Enricher

    def publish(self, topic: str, data: bytes, **attributes: str) -> Awaitable[str]:
        """Publish, as an awaitable of the server-assigned message id: it raises if the publish failed.

        The client batches and retries on its own threads; awaiting the wrapped future is what makes
        "the output is safe" true before an ack. The result reaches the loop through `LoopHandoff`
        (what `asyncio.wrap_future` does, with one wake-up per batch of results instead of one each).
        """
        future: Future[str] = self.publisher.publish(topic, data, **attributes)
        handoff = self.handoff()
        waiter: asyncio.Future[str] = handoff.loop.create_future()
        future.add_done_callback(lambda done: handoff.submit(_settle, waiter, done))
        return waiter

    async def hand_back(self, message: Any) -> str:
        """Nack `message` so Pub/Sub redelivers it; with `nack_delay_s`, after a wait that doubles with
        each delivery attempt (capped at 10 s), which spaces redeliveries where no retry policy does."""
        if self.settings.nack_delay_s > 0:
            attempt = max(1, message.delivery_attempt or 1)
            await asyncio.sleep(min(10.0, self.settings.nack_delay_s * 2 ** (attempt - 1)))
        message.nack()
        self.counters.nacked += 1
        return "nacked"


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


def _task_starter(enricher: EnricherBase, inflight: set[asyncio.Task[str]]) -> Callable[[Any], None]:
    """What runs on the loop for each pulled message: `enricher.handle` as a task, tracked in
    `inflight` until it ends; a handler that raises (a bug, not bad input) gets its message nacked."""

    def start(message: Any) -> None:
        task = asyncio.get_running_loop().create_task(enricher.handle(message))
        inflight.add(task)

        def done(finished: asyncio.Task[str]) -> None:
            inflight.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                # A bug, not bad input: say so loudly and hand the message back for another try.
                log.error("handling %s failed: %r", getattr(message, "message_id", "?"), finished.exception())
                message.nack()

        task.add_done_callback(done)

    return start


ClientFactory = Callable[[EnricherSettings], BookClientBase]
EnricherFactory = Callable[[EnricherSettings, Any, Any], EnricherBase]


async def serve(settings: EnricherSettings, stop: asyncio.Event, client_factory: ClientFactory,
                enricher_factory: EnricherFactory, on_ready: Callable[[EnricherBase], None] | None = None,
                publisher: Any = None) -> Counters:
    """Pull, enrich and ack until `stop` is set; then drain in-flight work and shut down cleanly.

    `publisher` replaces the real PublisherClient (tests inject one whose publishes fail).
    """
    loop = asyncio.get_running_loop()
    publisher = publisher or pubsub_v1.PublisherClient(pubsub_v1.types.BatchSettings(
        max_messages=settings.publish_batch_messages, max_latency=settings.publish_batch_latency_s))
    subscriber = pubsub_v1.SubscriberClient()
    client = client_factory(settings)
    enricher = enricher_factory(settings, client, publisher)
    handoff = enricher.handoff()
    inflight: set[asyncio.Task[str]] = set()
    start = _task_starter(enricher, inflight)
    accepting = True
    refresher: asyncio.Task[None] | None = None
    if settings.cache_preload and client.cache is not None:
        await client.try_preload()  # before the first pull, so the first burst finds it
        refresher = asyncio.create_task(client.keep_preloaded())

    def callback(message: Any) -> None:  # runs on the subscriber's threads
        if not accepting:
            message.nack()
            return
        handoff.submit(start, message)

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
    while (inflight or handoff) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    streaming.cancel()  # stops pulling and closes the stream; its future then reports "cancelled"
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(asyncio.wrap_future(streaming), timeout=10)
    stopped.cancel()
    if refresher is not None:
        refresher.cancel()
    if health is not None:
        health.close()
        await health.wait_closed()
    await client.aclose()
    subscriber.close()
    publisher.stop()
    return enricher.counters


def run_main(client_factory: ClientFactory, enricher_factory: EnricherFactory) -> None:
    """Run until SIGINT/SIGTERM; print one line of counters on the way out."""
    import signal

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = EnricherSettings()

    async def run() -> Counters:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await serve(settings, stop, client_factory, enricher_factory,
                           on_ready=lambda _: print("enricher ready", flush=True))

    counters = asyncio.run(run())
    print(f"enricher stopped: enriched={counters.enriched} dead_lettered={counters.dead_lettered} "
          f"nacked={counters.nacked}", flush=True)
    sys.exit(0)
