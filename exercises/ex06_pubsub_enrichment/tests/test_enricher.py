"""The enricher end to end: the emulator, the API and the enricher as real processes.

Expectations come from what was published and from the catalog, never from the enricher itself.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pytest
from google.cloud import pubsub_v1

from bootcamp.pubsub.admin import Retry
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
        assert set(enriched) == set(good)
        catalog = build_catalog()
        for event_id, record in enriched.items():
            assert record["event"]["book_id"] == good[event_id]
            assert record["book"] == catalog[good[event_id]].to_dict()

        dead = collect(resources.subscription("dead-letter-reader"), len(bad), timeout_s=30)
        reasons = {m.data: m.attributes["reason"] for m in dead}
        assert set(reasons) == set(bad)  # the original bytes, untouched
        for data, reason in bad.items():
            assert reason in reasons[data], (data, reasons[data])
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
        assert set(enriched) == {s.event_id for s in sent}
        assert collect(resources.subscription("dead-letter-reader"), 1, timeout_s=3) == []
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
    resources = Resources(f"t06d-{time.time_ns() % 10**8}", max_delivery_attempts=5)
    resources.create(retry=Retry(minimum_s=0.1, maximum_s=0.5))
    log = tmp_path / "enricher.log"
    nowhere = f"http://127.0.0.1:{free_port()}"
    enricher = start_enricher(resources, nowhere, log=log, HTTP_ATTEMPTS="2")
    try:
        wait_ready(enricher, log)
        sent = impl.generator.publish_events(pubsub_v1.PublisherClient(), resources.topic("raw"),
                                             books(3, 6), seed=6)
        dead = collect(resources.subscription("dead-letter-reader"), len(sent), timeout_s=60)
        assert sorted(json.loads(m.data)["event_id"] for m in dead) == sorted(s.event_id for s in sent)
        for message in dead:
            reason = message.attributes["reason"]
            assert reason.startswith("gave up after 5 deliveries: bookstore unreachable"), reason
            assert message.attributes["delivery_attempt"] == "5"
    finally:
        code = stop(enricher)
        resources.delete()
    assert code == 0, log.read_text()[-2000:]
