"""The enricher end to end: the emulator, the API and the enricher as real processes.

Expectations come from what was published and from the catalog, never from the enricher itself.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from google.cloud import pubsub_v1

from bootcamp.services.base import free_port
from exercises.ex06_pubsub_enrichment.catalog import build_catalog, isbn13_check_digit
from exercises.ex06_pubsub_enrichment.harness import (
    ApiProcess,
    Resources,
    collect,
    enriched_ids,
    start_enricher,
    stop,
    wait_ready,
)


def unknown_isbn() -> str:
    catalog = build_catalog()
    for n in range(10**9):
        first12 = f"979{n:09d}"
        isbn = first12 + isbn13_check_digit(first12)
        if isbn not in catalog:
            return isbn
    raise AssertionError("unreachable")


def books(count: int, seed: int) -> list[str]:
    catalog = sorted(build_catalog())
    rng = random.Random(seed)
    return [rng.choice(catalog[:300]) for _ in range(count)]  # repeats, so the cache is used


@pytest.mark.integration
def test_every_event_enriched_and_bad_ones_dead_lettered(
        impl: Any, resources: Resources, api: ApiProcess, tmp_path: Path) -> None:
    publisher = pubsub_v1.PublisherClient()
    log = tmp_path / "enricher.log"
    enricher = start_enricher(resources, api.url, log=log)
    try:
        wait_ready(enricher, log)
        raw = resources.topic("raw")
        first = impl.generator.publish_events(publisher, raw, books(80, 1), seed=1)
        bad = {
            b"{not json": "malformed JSON",
            json.dumps({"event_id": "no-book"}).encode(): "missing book_id",
            json.dumps({"event_id": "bad-id", "book_id": "12345"}).encode(): "malformed book_id",
            json.dumps({"event_id": "unknown", "book_id": unknown_isbn()}).encode(): "unknown book_id",
        }
        for data in bad:
            publisher.publish(raw, data).result(timeout=10)
        second = impl.generator.publish_events(publisher, raw, books(80, 2), seed=2)
        good = {s.event_id: s.book_id for s in first + second}

        enriched = enriched_ids(collect(resources.subscription("enriched-reader"), len(good), timeout_s=60))
        assert set(enriched) == set(good), "every good event is enriched"
        catalog = build_catalog()
        for event_id, record in enriched.items():
            assert record["event"]["book_id"] == good[event_id]
            assert record["book"] == catalog[good[event_id]].to_dict()

        dead = collect(resources.subscription("dead-letter-reader"), len(bad), timeout_s=30)
        reasons = {m.data: m.attributes["reason"] for m in dead}
        assert set(reasons) == set(bad)  # the original bytes, untouched
        for data, reason in bad.items():
            assert reason in reasons[data], (f"{data!r} dead-lettered with the wrong reason (an unknown id "
                                             f"is permanent: dead-letter it at once): {reasons[data]}")
    finally:
        code = stop(enricher)
    assert code == 0, log.read_text()[-2000:]
    assert "enricher stopped: enriched=160 dead_lettered=4" in log.read_text()


@pytest.mark.slow
@pytest.mark.integration
def test_api_outage_loses_nothing(impl: Any, resources: Resources, tmp_path: Path) -> None:
    """The API dies mid-stream for several seconds: messages are handed back (nack) and redelivered
    with backoff, and every one is enriched once it returns; nothing reaches the dead-letter topic."""
    api = ApiProcess(log=tmp_path / "api.log").start()
    publisher = pubsub_v1.PublisherClient()
    log = tmp_path / "enricher.log"
    enricher = start_enricher(resources, api.url, log=log, CACHE_SIZE="0")
    try:
        wait_ready(enricher, log)
        raw = resources.topic("raw")
        sent = impl.generator.publish_events(publisher, raw, books(40, 3), rate_per_s=40, seed=3)
        api.kill()
        sent += impl.generator.publish_events(publisher, raw, books(60, 4), rate_per_s=40, seed=4)
        time.sleep(4)
        api.start()
        enriched = enriched_ids(collect(resources.subscription("enriched-reader"), len(sent), timeout_s=90))
        assert set(enriched) == {s.event_id for s in sent}, "every event is enriched once the API is back"
        dead = collect(resources.subscription("dead-letter-reader"), 1, timeout_s=3)
        assert dead == [], f"an API outage dead-lettered {len(dead)} events: it is transient, hand them back"
    finally:
        code = stop(enricher)
        api.kill()
    assert code == 0, log.read_text()[-2000:]
    assert "nacked=0" not in log.read_text()  # the outage was real: some deliveries were handed back


@pytest.mark.integration
def test_messages_that_keep_failing_are_dead_lettered_with_the_reason(
        impl: Any, pubsub: str, tmp_path: Path) -> None:
    """The API never comes back: after the subscription's last delivery attempt the enricher itself
    dead-letters each message with why, instead of Pub/Sub's policy forwarding it without a word."""
    resources = Resources(f"t06d-{time.time_ns() % 10**8}", max_delivery_attempts=5).create()
    log = tmp_path / "enricher.log"
    nowhere = f"http://127.0.0.1:{free_port()}"
    enricher = start_enricher(resources, nowhere, log=log, HTTP_ATTEMPTS="2", NACK_DELAY_S="0.2")
    try:
        wait_ready(enricher, log)
        sent = impl.generator.publish_events(pubsub_v1.PublisherClient(), resources.topic("raw"),
                                             books(3, 6), seed=6)
        dead = collect(resources.subscription("dead-letter-reader"), len(sent), timeout_s=60)
        assert sorted(json.loads(m.data)["event_id"] for m in dead) == sorted(s.event_id for s in sent)
        for message in dead:
            reason = message.attributes.get("reason", "")
            assert reason, ("forwarded by the subscription's dead-letter policy without a reason: the "
                            "enricher must dead-letter a message itself on its last delivery attempt")
            assert reason.startswith("gave up after 5 deliveries: bookstore unreachable"), reason
            assert message.attributes["delivery_attempt"] == "5"
    finally:
        code = stop(enricher)
        resources.delete()
    assert code == 0, log.read_text()[-2000:]


class FailFirstPublisher(pubsub_v1.PublisherClient):  # type: ignore[misc]  # the client is untyped here
    """A real publisher whose first publish of each event to the enriched topic fails (the fault): the
    future it returns carries an error, as when Pub/Sub refuses or times out a publish."""

    def __init__(self, enriched_topic: str) -> None:
        super().__init__()
        self.enriched_topic = enriched_topic
        self.failed: set[str] = set()

    def publish(self, topic: str, data: bytes, **attributes: Any) -> Any:
        event_id = attributes.get("event_id", "")
        if topic == self.enriched_topic and event_id not in self.failed:
            self.failed.add(event_id)
            future: Future[str] = Future()
            future.set_exception(RuntimeError("injected publish failure"))
            return future
        return super().publish(topic, data, **attributes)


@pytest.mark.integration
def test_a_failed_publish_is_nacked_and_redelivered(impl: Any, resources: Resources, api: ApiProcess) -> None:
    """Every first publish of an enriched event fails: the raw message must be handed back, not acked, so
    Pub/Sub redelivers it and the second publish delivers the enriched event. Acking before the publish
    is confirmed (or acking on its failure) loses exactly those events."""
    env = {k.lower(): v for k, v in resources.enricher_env(api.url).items()}
    settings = impl.enricher.EnricherSettings(**{**env, "nack_delay_s": 0.1})
    publisher = FailFirstPublisher(resources.topic("enriched"))
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    result: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            result["counters"] = loop.run_until_complete(
                impl.enricher.serve(settings, stop, on_ready=lambda _: ready.set(), publisher=publisher))
        except BaseException as exc:  # reported below, in the test's thread
            result["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert ready.wait(30), "the enricher did not start"
        if "error" in result:
            raise result["error"]
        sent = impl.generator.publish_events(pubsub_v1.PublisherClient(), resources.topic("raw"),
                                             books(30, 8), seed=8)
        wanted = {s.event_id for s in sent}
        got: list[Any] = []
        subscriber = pubsub_v1.SubscriberClient()
        deadline = last_progress = time.monotonic()
        deadline += 60
        # Wait until every event is enriched, or until nothing has moved for 8 s after every first
        # publish failed (then the missing ones were acked away and will never come).
        while time.monotonic() < deadline and not wanted <= set(enriched_ids(got)):
            more = collect(resources.subscription("enriched-reader"), 1, timeout_s=2, subscriber=subscriber)
            if more:
                got += more
                last_progress = time.monotonic()
            elif publisher.failed >= wanted and time.monotonic() - last_progress > 8:
                break
        enriched = enriched_ids(got)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=60)
    if "error" in result:
        raise result["error"]
    missing = {s.event_id for s in sent} - set(enriched)
    assert not missing, (f"acked before the enriched publish was confirmed: {len(missing)} of {len(sent)} "
                         f"events whose publish failed were never enriched (lost)")
    assert publisher.failed >= {s.event_id for s in sent}, "every event's first publish failed"
    assert result["counters"].nacked >= len(sent), "each failed publish was handed back (nack)"
    dead = collect(resources.subscription("dead-letter-reader"), 1, timeout_s=3)
    assert dead == [], "a failed publish is transient: nothing is dead-lettered"


@pytest.mark.integration
def test_an_api_answering_503_then_200_loses_nothing(impl: Any, resources: Resources, flaky_api: Any,
                                                     tmp_path: Path) -> None:
    """Each lookup first gets a 503 (one in-process try, so the message itself is handed back and
    redelivered); the enriched output must arrive and nothing be dead-lettered."""
    log = tmp_path / "enricher.log"
    enricher = start_enricher(resources, flaky_api.url, log=log, HTTP_ATTEMPTS="1", NACK_DELAY_S="0.1",
                              CACHE_SIZE="0")
    try:
        wait_ready(enricher, log)
        sent = impl.generator.publish_events(pubsub_v1.PublisherClient(), resources.topic("raw"),
                                             books(20, 9), seed=9)
        enriched = enriched_ids(collect(resources.subscription("enriched-reader"), len(sent), timeout_s=60))
        dead = collect(resources.subscription("dead-letter-reader"), 1, timeout_s=3)
        assert not dead, (f"an API 503 was treated as permanent: {len(dead)} events dead-lettered "
                          f"({dead[0].attributes.get('reason')}) instead of retried")
        assert set(enriched) == {s.event_id for s in sent}, "every event is enriched after the 503"
    finally:
        code = stop(enricher)
    assert code == 0, log.read_text()[-2000:]
    assert "nacked=0" not in log.read_text(), "the 503s were real: deliveries were handed back"


@pytest.mark.slow
@pytest.mark.integration
def test_sigkill_mid_stream_and_restart_loses_nothing(impl: Any, resources: Resources, api: ApiProcess,
                                                      tmp_path: Path) -> None:
    """At-least-once across a crash: the enricher is SIGKILLed while events still flow in, another one
    starts on the same subscription; every event ends enriched or dead-lettered, none lost. Duplicates
    (work done but not acked before the kill) are allowed, counted and printed.

    LEASE_EXTENSION_S=10: the emulator keeps serving a killed subscriber's stream (see the README's Known
    limits), leasing messages to nobody for the stream's ack deadline each time; 10 s instead of the
    client's 60 s makes them return sooner. What is still circling after 10 deliveries goes to the
    dead-letter topic by the subscription's policy, which the test counts as accounted for.
    """
    publisher = pubsub_v1.PublisherClient()
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    extra = {"LEASE_EXTENSION_S": "10"}
    first = start_enricher(resources, api.url, log=first_log, **extra)
    second = None
    feed: dict[str, Any] = {}
    try:
        wait_ready(first, first_log)
        def feed_events() -> None:
            try:
                feed["sent"] = impl.generator.publish_events(
                    publisher, resources.topic("raw"), books(800, 10), rate_per_s=100, seed=10)
            except BaseException as exc:  # re-raised in the test's thread
                feed["error"] = exc

        feeder = threading.Thread(target=feed_events)
        feeder.start()
        subscriber = pubsub_v1.SubscriberClient()
        got: list[Any] = []
        deadline = time.monotonic() + 60
        while len(enriched_ids(got)) < 200 and time.monotonic() < deadline and "error" not in feed:
            got += collect(resources.subscription("enriched-reader"), 1, timeout_s=2, subscriber=subscriber)
        if "error" in feed:
            raise feed["error"]
        assert feeder.is_alive(), "the kill must come while input is still flowing"
        first.kill()
        first.wait(timeout=10)
        before_kill = len(enriched_ids(got))
        second = start_enricher(resources, api.url, log=second_log, **extra)
        wait_ready(second, second_log)
        feeder.join(timeout=60)
        sent = {s.event_id for s in feed["sent"]}
        dead_ids: set[str] = set()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and sent - set(enriched_ids(got)) - dead_ids:
            got += collect(resources.subscription("enriched-reader"), len(sent), timeout_s=5,
                           subscriber=subscriber)
            for message in collect(resources.subscription("dead-letter-reader"), 10**6, timeout_s=1,
                                   subscriber=subscriber):
                dead_ids.add(json.loads(message.data)["event_id"])
    finally:
        stop(first)
        code = stop(second) if second is not None else None
    enriched = enriched_ids(got)
    lost = sent - set(enriched) - dead_ids
    duplicates = len(got) - len(enriched)
    print(f"\nSIGKILL after {before_kill} enriched: {len(sent)} sent, {len(enriched)} enriched, "
          f"{len(dead_ids)} dead-lettered, {duplicates} duplicates, {len(lost)} lost")
    assert not lost, (f"acked without an output: {len(lost)} of {len(sent)} events neither enriched nor "
                      f"dead-lettered after a SIGKILL and a restart")
    assert code == 0, second_log.read_text()[-2000:]
