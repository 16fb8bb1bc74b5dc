"""End to end: generator -> the hub's Kafka endpoint (SASL PLAIN, `$ConnectionString`) -> the
broadcaster process -> WebSocket clients; bad input on both sides; resuming and slow clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from ..events import Event
from ..generator import readings, send
from ..harness import Recorder, Server, offline_windows, record_until, stalled_client

T0 = 1_764_633_600_000
BAD = [b"not json at all", b'{"source": "sensor-a", "time_ms": "yesterday", "value": 1}', b"[1, 2]"]

pytestmark = pytest.mark.slow


def complete(want: dict[tuple[str, int], Any]) -> Callable[[Recorder], bool]:
    """Done when every offline window has arrived with its final count."""
    def done(recorder: Recorder) -> bool:
        shown = recorder.latest_windows()
        return all(key in shown and shown[key]["count"] == agg.count for key, agg in want.items())
    return done


def test_end_to_end_through_the_sasl_listener_aggregates_equal_an_offline_computation(
        server: Server, hub_kafka: dict[str, Any]) -> None:
    events = readings(2400, rate=400, start_ms=T0, disorder_ms=600)
    topic = server.env["EX05_TOPIC"]
    mixed: list[Event | bytes] = [*events[:1200], *BAD, *events[1200:]]
    send(hub_kafka, topic, mixed)
    want = offline_windows(events, 1000, 2000)
    recorder = asyncio.run(record_until(server.ws, Recorder(), complete(want), since=0, timeout_s=60))
    shown = recorder.latest_windows()
    for key, agg in want.items():
        got = shown[key]
        assert (got["count"], got["min"], got["max"]) == (agg.count, agg.min, agg.max), key
        assert got["mean"] == pytest.approx(agg.mean), key
    seqs = [f["seq"] for f in recorder.aggregates()]
    assert seqs == list(range(1, len(seqs) + 1)), "aggregates are numbered 1, 2, 3 ... without gaps"
    assert any(f["type"] == "raw" for f in recorder.frames), "raw readings are broadcast (sampled)"


def test_malformed_readings_are_counted_and_dead_lettered_with_the_reason(
        server: Server, hub_kafka: dict[str, Any]) -> None:
    deadline = time.monotonic() + 30
    while server.stats()["malformed"] < len(BAD) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.stats()["malformed"] == len(BAD)
    consumer = Consumer({**hub_kafka, "group.id": f"dlq-reader-{time.time_ns()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([server.env["EX05_DEAD_LETTER_TOPIC"]])
    got: list[tuple[bytes | None, dict[str, bytes]]] = []
    try:
        while len(got) < len(BAD) and time.monotonic() < deadline + 30:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                raw_headers: Any = message.headers() or []
                pairs: list[tuple[str, Any]] = list(raw_headers)
                headers = {key: value if isinstance(value, bytes) else str(value or "").encode()
                           for key, value in pairs}
                got.append((message.value(), headers))
    finally:
        consumer.close()
    assert sorted(value or b"" for value, _ in got) == sorted(BAD), "the original bytes are kept"
    reasons = {value: headers["reason"].decode() for value, headers in got}
    assert reasons[b"not json at all"].startswith("not JSON")
    assert "time_ms" in reasons[BAD[1]]


def test_a_malformed_client_message_gets_close_code_1008_not_a_server_error(server: Server) -> None:
    async def scenario() -> list[int | None]:
        codes: list[int | None] = []
        for first, then in [("hello?", None), ('{"type": "hello", "since": "x"}', None),
                            (json.dumps({"type": "hello", "epoch": None, "since": None}), "{oops")]:
            async with connect(server.ws, compression=None) as ws:
                await ws.send(first)
                if then is not None:
                    await ws.recv()  # the welcome
                    await ws.send(then)
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), 10)
                except ConnectionClosed as closed:
                    codes.append(closed.rcvd.code if closed.rcvd else None)
        return codes

    assert asyncio.run(scenario()) == [1008, 1008, 1008]
    assert server.stats()["failed"] is None


def test_a_resuming_client_gets_every_aggregate_after_its_seq(server: Server, hub_kafka: dict[str, Any]
                                                              ) -> None:
    start = T0 + 60_000
    first = readings(800, rate=400, start_ms=start, disorder_ms=300, seed=9)
    live_from = server.stats()["seq"]
    send(hub_kafka, server.env["EX05_TOPIC"], first)
    before = Recorder()
    asyncio.run(record_until(server.ws, before, lambda r: len(r.aggregates()) >= 3, since=live_from))
    held = before.last_seq()
    later = readings(800, rate=400, start_ms=start + 2000, disorder_ms=300, seed=10)
    send(hub_kafka, server.env["EX05_TOPIC"], later)
    while server.stats()["seq"] < held + 10:
        time.sleep(0.1)
    target = server.stats()["seq"]
    after = Recorder(epoch=before.epoch)
    asyncio.run(record_until(server.ws, after, lambda r: r.last_seq() >= target, since=held))
    seqs = [f["seq"] for f in after.aggregates()]
    assert seqs, "the resumed client received aggregates"
    assert seqs == list(range(held + 1, seqs[-1] + 1)), (
        f"a client resuming after seq {held} must get {held + 1}, {held + 2}, ... without a gap; got "
        f"{seqs[:5]}... (resuming from the latest instead of the client's seq loses aggregates)")


def test_a_slow_websocket_client_does_not_delay_the_others(servers: Callable[..., Server],
                                                           hub_kafka: dict[str, Any]) -> None:
    """One client stops reading (a tiny receive buffer, nothing read); another reads everything.
    Measured: how many of the published frames each got, and the reader's time to get them all. The
    readings are paced (2,000/s) so that a reader on a loaded machine keeps within its queue's slack
    (2,048 frames, about a second); the stalled one overflows it after about 4,000."""
    server = servers(EX05_RAW_SAMPLE_EVERY="1", EX05_QUEUE_SIZE="2048", EX05_BATCH_SIZE="200")
    count = 10_000
    events = readings(count, rate=4000, start_ms=T0, disorder_ms=0, seed=3)

    async def scenario() -> tuple[int, float, dict[str, Any]]:
        slow = stalled_client(server.ws)
        try:
            fast = Recorder()
            started = time.monotonic()
            topic = server.env["EX05_TOPIC"]
            sending = asyncio.create_task(asyncio.to_thread(send, hub_kafka, topic, events, 2000.0))
            try:
                await record_until(server.ws, fast, lambda r: r.counts.get("raw", 0) >= count,
                                   since=None, timeout_s=30)
            except ConnectionClosed as closed:
                raise AssertionError(f"the reading client was itself dropped after "
                                     f"{fast.counts.get('raw', 0)} frames ({closed})") from None
            elapsed = time.monotonic() - started
            await sending
            stats = await asyncio.to_thread(server.stats)
            return fast.counts.get("raw", 0), elapsed, stats
        finally:
            slow.close()

    try:
        got, elapsed, stats = asyncio.run(scenario())
    except AssertionError as exc:
        raise AssertionError(f"a slow client delayed the others: the reading client did not get all "
                             f"{count} frames ({exc}); is a slow client's send awaited inline, or its "
                             "queue unbounded?") from None
    print(f"reading client: {got} of {count} frames in {elapsed:.2f} s; stalled clients dropped: "
          f"{stats['slow_clients_dropped']}")
    assert got == count
    assert stats["slow_clients_dropped"] == 1, "the stalled client was disconnected by the stated " \
        "policy (close 1013), and only it"
