"""The transformer against the real local broker: correctness, dead letters, crashes and shutdown."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from bootcamp.kafka.config import client_config
from bootcamp.testing.plugin import Implementation
from bootcamp.testing.processes import Spawned, Worker, wait_until
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.observer import Observation, read_topic
from exercises.ex01_kafka_transform.tests.conftest import Feeder, StartTransformer

pytestmark = pytest.mark.integration


def keyed_values(count: int, keys: int = 8) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs whose values say their key and per-key sequence number."""
    seqs: Counter[int] = Counter()
    out = []
    for i in range(count):
        k = (i * 7) % keys
        out.append((f"k{k}".encode(), f"k{k}:{seqs[k]}:hello world".encode()))
        seqs[k] += 1
    return out


def start_in_thread(impl: Implementation, settings: TransformerSettings, **kwargs: Any
                    ) -> tuple[Any, Worker]:
    transformer = impl.transformer.Transformer(settings, **kwargs)
    worker = Worker(transformer.run, name="transformer")
    worker.start()
    return transformer, worker


def read_until(topic: str, count: int, *watched: Spawned | Worker, timeout_s: float = 60) -> Observation:
    seen = Observation()

    def enough() -> bool:
        seen.records = read_topic(topic, timeout_s=10).records
        return len(seen.records) >= count

    wait_until(enough, timeout_s, f"{count} records in {topic}", *watched, interval_s=0.5)
    return seen


def test_every_record_transformed_with_key_headers_and_per_key_order(
        impl: Implementation, settings: TransformerSettings, feeder: Feeder) -> None:
    pairs = keyed_values(600)
    for n, (key, value) in enumerate(pairs):
        feeder.send(settings.input_topic, key, value, headers=[("trace-id", str(n).encode())])
    feeder.flush()

    transformer, worker = start_in_thread(impl, settings)
    try:
        out = read_until(settings.output_topic, len(pairs), worker)
    finally:
        transformer.stop()
        worker.join(30)
    worker.check_alive()
    assert not worker.is_alive(), "the transformer did not stop"

    assert sorted((r.key, r.value) for r in out.records) == sorted((k, v.upper()) for k, v in pairs)
    by_key: dict[bytes | None, list[bytes | None]] = defaultdict(list)
    for record in sorted(out.records, key=lambda r: (r.partition, r.offset)):
        by_key[record.key].append(record.value)
    for out_key, values in by_key.items():
        wanted: list[bytes | None] = [v.upper() for k, v in pairs if k == out_key]
        assert values == wanted, f"order broken for key {out_key!r}"
    trace_ids = sorted(int(r.headers["trace-id"]) for r in out.records)
    assert trace_ids == list(range(len(pairs)))
    assert read_topic(settings.dead_letter_topic).records == []


def test_bad_records_are_dead_lettered_with_reasons_while_good_ones_flow(
        impl: Implementation, settings: TransformerSettings, feeder: Feeder) -> None:
    def explodes_on_boom(value: bytes | None) -> bytes | None:
        if value and b"boom" in value:
            raise ValueError("the transform blew up")
        result: bytes | None = impl.transform.uppercase(value, settings.max_value_bytes)
        return result

    bad = {
        b"\xff\xfenot utf-8": "not-utf8",
        b"x" * (settings.max_value_bytes + 1): "too-large",
        b"boom": "transform-failed",
    }
    good = [f"good {i}".encode() for i in range(90)]
    stream = [*good[:30], next(iter(bad)), *good[30:60], *list(bad)[1:], *good[60:]]
    for value in stream:
        feeder.send(settings.input_topic, b"key-" + value[:3], value, headers=[("origin", b"test")])
    feeder.flush()

    transformer, worker = start_in_thread(impl, settings, transform=explodes_on_boom)
    try:
        out = read_until(settings.output_topic, len(good), worker)
        dead = read_until(settings.dead_letter_topic, len(bad), worker)
    finally:
        transformer.stop()
        worker.join(30)
    worker.check_alive()

    assert sorted(r.value or b"" for r in out.records) == sorted(v.upper() for v in good)
    assert len(dead.records) == len(bad)
    for record in dead.records:
        assert record.value in bad, "a dead letter must keep the original bytes of the record"
        assert "dlq.reason" in record.headers, "a dead letter must say why (the dlq.reason header)"
        assert record.headers["dlq.reason"].decode() == bad[record.value]
        assert record.headers.get("origin") == b"test", "a dead letter must keep the original headers"
        assert record.headers["dlq.source.topic"].decode() == settings.input_topic
        partition, offset = feeder.landed(settings.input_topic, record.value)
        assert int(record.headers["dlq.source.partition"]) == partition
        assert int(record.headers["dlq.source.offset"]) == offset
        assert record.headers["dlq.error"]
    counters = transformer.counters
    assert counters.dead_lettered == len(bad)
    assert counters.produced == len(good)
    assert dict(counters.reasons) == Counter(bad.values())


@pytest.mark.slow
def test_sigkill_mid_stream_then_restart_loses_nothing(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer,
        record_property: Callable[[str, object], None]) -> None:
    settings = settings.model_copy(update={"batch_size": 50})
    pairs = keyed_values(4000)
    first = start_transformer(settings)
    sender = Worker(lambda: _send_slowly(feeder, settings.input_topic, pairs, per_second=500))
    sender.start()

    def some_output() -> bool:  # what is there now, to the end offsets
        return len(read_topic(settings.output_topic, timeout_s=10).records) >= 300

    wait_until(some_output, 60, "the first 300 outputs", first, sender)
    first.signal(signal.SIGKILL)
    first.wait(10)
    assert sender.is_alive(), "input must still be flowing when the transformer dies"

    second = start_transformer(settings)
    sender.join(60)
    sender.check_alive()
    out = read_until(settings.output_topic, len(pairs), timeout_s=90)
    second.check_alive()

    produced = Counter(r.value for r in out.records)
    missing = [v for _, v in pairs if produced[v.upper()] == 0]
    duplicates = sum(n - 1 for n in produced.values() if n > 1)
    print(f"\nSIGKILL + restart: {len(pairs)} in, {len(out.records)} out, {duplicates} duplicates")
    record_property("duplicates", duplicates)
    assert missing == [], f"{len(missing)} records lost, e.g. {missing[:3]}"


def _send_slowly(feeder: Feeder, topic: str, pairs: list[tuple[bytes, bytes]], per_second: int) -> None:
    started = time.monotonic()
    for n, (key, value) in enumerate(pairs):
        delay = started + n / per_second - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        feeder.send(topic, key, value)
    feeder.flush()


@pytest.mark.slow
def test_sigterm_exits_zero_promptly_with_offsets_committed(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer) -> None:
    pairs = keyed_values(1000)
    for key, value in pairs:
        feeder.send(settings.input_topic, key, value)
    feeder.flush()
    process = start_transformer(settings)
    read_until(settings.output_topic, len(pairs), process)

    stopped_at = time.monotonic()
    process.signal(signal.SIGTERM)
    code = process.wait(15)
    elapsed = time.monotonic() - stopped_at
    assert code == 0, process.log()
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"
    probe = Consumer(client_config({"group.id": settings.group_id, "enable.auto.commit": False}))
    try:
        committed = probe.committed(
            [TopicPartition(settings.input_topic, p) for p in range(settings.partitions)], timeout=10)
    finally:
        probe.close()
    assert {tp.partition: tp.offset for tp in committed} == {
        p: feeder.per_partition().get(p, -1001) for p in range(settings.partitions)}, (
        "the committed offset of a partition is the next record to read: the last processed offset + 1")
    stopped = next(line for line in process.log().splitlines() if "stopped:" in line)
    assert "lag 0:0 1:0 2:0 total=0" in stopped, f"the last stats line shows the group's lag: {stopped}"


def _listed(line: str) -> set[int]:
    return {int(p) for p in line.split("[", 1)[1].split("]", 1)[0].split(",") if p.strip()}


def _assigned(log: str) -> set[int]:
    """The partitions a transformer owns now, replayed from its log's assignments and revocations
    (the eager protocols revoke everything and assign the new set; the incremental ones, a part)."""
    owned: set[int] = set()
    for line in log.splitlines():
        if "partitions assigned:" in line:
            owned |= _listed(line)
        elif "partitions revoked:" in line:
            owned -= _listed(line)
    return owned


def _consumed(log: str) -> int:
    """The last `consumed=N` a transformer logged (its stats line comes every second)."""
    counts = re.findall(r"consumed=(\d+)", log)
    return int(counts[-1]) if counts else 0


@pytest.mark.slow
def test_two_members_split_the_partitions_and_one_takes_over_when_the_other_leaves(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer) -> None:
    settings = settings.model_copy(update={"batch_size": 50})
    pairs = keyed_values(4000, keys=12)
    first = start_transformer(settings)
    second = start_transformer(settings)
    sender = Worker(lambda: _send_slowly(feeder, settings.input_topic, pairs, per_second=400))
    sender.start()
    wait_until(lambda: _consumed(first.log()) > 0 and _consumed(second.log()) > 0, 60,
               "both members to consume their share", first, second, sender)
    assert _assigned(first.log()).isdisjoint(_assigned(second.log()))

    first.signal(signal.SIGTERM)  # leaves the group: its partitions move to the second member
    assert first.wait(15) == 0, first.log()
    assert sender.is_alive(), "input must still be flowing when the first member leaves"
    wait_until(lambda: _assigned(second.log()) == set(range(settings.partitions)), 30,
               "the second member to own every partition", second)
    sender.join(60)
    sender.check_alive()

    out = read_until(settings.output_topic, len(pairs), second, timeout_s=90)
    produced = Counter(r.value for r in out.records)
    assert [v for _, v in pairs if produced[v.upper()] == 0] == [], "records lost in the hand-over"


@pytest.mark.slow
def test_kip_848_consumer_protocol_moves_only_some_partitions_at_a_rebalance(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer) -> None:
    """`group.protocol=consumer` (KIP-848, Kafka 4 brokers): the broker assigns, incrementally. When a
    second member joins, the first gives up only the partitions that move, and keeps consuming the
    others; the eager `range,roundrobin` default would revoke all of them first."""
    settings = settings.model_copy(update={"batch_size": 50, "group_protocol": "consumer"})
    pairs = keyed_values(6000, keys=12)
    first = start_transformer(settings)
    sender = Worker(lambda: _send_slowly(feeder, settings.input_topic, pairs, per_second=400))
    sender.start()
    wait_until(lambda: _assigned(first.log()) == set(range(settings.partitions)), 60,
               "the first member to own every partition", first, sender)
    second = start_transformer(settings)
    wait_until(lambda: bool(_assigned(second.log())), 60, "the second member's first partitions",
               first, second, sender)
    assert sender.is_alive(), "input must still be flowing during the rebalance"
    wait_until(lambda: _assigned(first.log()) | _assigned(second.log()) == set(range(settings.partitions))
               and _assigned(first.log()).isdisjoint(_assigned(second.log())), 30,
               "the partitions to be split", first, second)
    revoked = [_listed(line) for line in first.log().splitlines() if "partitions revoked:" in line]
    assert revoked, "the first member gave partitions up"
    assert all(len(r) < settings.partitions for r in revoked), (
        f"an incremental rebalance revokes only the partitions that move, not all of them: {revoked}")
    sender.join(60)
    sender.check_alive()
    out = read_until(settings.output_topic, len(pairs), first, second, timeout_s=90)
    produced = Counter(r.value for r in out.records)
    assert [v for _, v in pairs if produced[v.upper()] == 0] == [], "records lost in the rebalance"
