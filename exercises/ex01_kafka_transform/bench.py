"""`bootcamp bench ex01`: what the transformer costs, against the broker's raw speed, in one run.

Baselines, same client library and settings, same broker, same record size:
- produce-only: one idempotent producer, as fast as it can, acks from the broker;
- consume-only: one consumer reading those records back.
Then, for each point of a batch-size x linger sweep, the transformer (a real process):
- throughput: it drains a pre-filled topic; records/s is taken from the output records' own
  timestamps (first to last), so start-up and group join are not counted;
- latency: a generator sends at a steady rate below capacity; the observer reads the output live and
  measures produce-to-read time per record (p50, p99).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from bootcamp.bench import BenchReport, Stopwatch, percentile, ratio
from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import timestamp_ms
from exercises.ex01_kafka_transform.generator import produce, records
from exercises.ex01_kafka_transform.harness import TransformerProcess, fresh_settings, wait_for
from exercises.ex01_kafka_transform.observer import read_topic

RECORD_BYTES = 200
PRODUCER = {"enable.idempotence": True, "linger.ms": 5, "compression.type": "lz4",
            "partitioner": "murmur2_random"}


@dataclass
class SweepPoint:
    batch_size: int
    linger_ms: float
    batch_timeout_s: float = 0.1
    records_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0


def produce_only(topic: str, count: int) -> float:
    """The client's best: a tight produce loop over prepared records, serving reports only when the
    local queue fills, then one flush (every record acknowledged by the broker). The connection and
    the idempotent producer's id are set up before the clock starts, as they are for the transformer."""
    producer = Producer(client_config(PRODUCER))
    prepared = [(r.key, r.value) for r in records(count, size=RECORD_BYTES)]
    failed: list[object] = []

    def on_delivery(error: object, _msg: object) -> None:
        if error is not None:
            failed.append(error)

    producer.produce(topic, key=b"warm-up", value=b"x" * RECORD_BYTES)  # connect, get a producer id
    producer.flush(30)
    with Stopwatch() as sw:
        for key, value in prepared:
            while True:
                try:
                    producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.01)
        producer.flush(60)
    if failed:
        raise RuntimeError(f"{len(failed)} baseline records failed: {failed[0]}")
    return count / sw.seconds


def consume_only(topic: str, count: int, partitions: int) -> float:
    """Read `count` records back (the warm-up record too), timed from the first one."""
    consumer = Consumer(client_config({"group.id": f"bench-{uuid.uuid4().hex[:6]}",
                                       "enable.auto.commit": False}))
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    seen, started = 0, 0.0
    deadline = time.monotonic() + 120
    try:
        while seen < count and time.monotonic() < deadline:
            batch = [m for m in consumer.consume(1000, timeout=0.5) if not m.error()]
            if batch and not started:
                started = time.perf_counter()  # from the first record: connection set-up excluded
            seen += len(batch)
    finally:
        consumer.close()
    return seen / (time.perf_counter() - started) if started else 0.0


def transformer_throughput(source_topic: str, count: int, point: SweepPoint) -> float:
    settings = fresh_settings("bench", batch_size=point.batch_size, linger_ms=point.linger_ms,
                              batch_timeout_s=point.batch_timeout_s)
    settings = settings.model_copy(update={"input_topic": source_topic})
    process = TransformerProcess(settings, log_name=f"bench-b{point.batch_size}-l{point.linger_ms:g}")
    try:
        wait_for(lambda: len(read_topic(settings.output_topic, count=count, idle_s=1,
                                        timeout_s=30).records) >= count,
                 300, f"{count} transformed records", process)
    finally:
        process.stop()
    return _rate_from_timestamps(settings.output_topic, settings.partitions, count)


def _rate_from_timestamps(topic: str, partitions: int, count: int) -> float:
    consumer = Consumer(client_config({"group.id": f"ts-{uuid.uuid4().hex[:6]}"}))
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    stamps: list[int] = []
    try:
        while len(stamps) < count:
            batch = consumer.consume(1000, timeout=1.0)
            if not batch:
                break
            stamps += [ts for m in batch if not m.error() and (ts := timestamp_ms(m)) is not None]
    finally:
        consumer.close()
    span_s = (max(stamps) - min(stamps)) / 1000 if stamps else 0
    return len(stamps) / span_s if span_s > 0 else float("nan")


def transformer_latency(point: SweepPoint, rate: float, seconds: float) -> tuple[float, float]:
    settings = fresh_settings("lat", batch_size=point.batch_size, linger_ms=point.linger_ms,
                              batch_timeout_s=point.batch_timeout_s)
    process = TransformerProcess(settings, log_name="bench-latency")
    producer = Producer(client_config(PRODUCER))
    try:
        # Warm up until the transformer has joined its group and moved a record through.
        produce(producer, settings.input_topic, records(1, size=RECORD_BYTES))
        wait_for(lambda: bool(read_topic(settings.output_topic, count=1, idle_s=0.5).records),
                 60, "the transformer to join its group", process)
        count = int(rate * seconds)
        sender = threading.Thread(target=produce, args=(
            producer, settings.input_topic, records(count, size=RECORD_BYTES, seed=11), rate))
        latencies: list[float] = []
        sender.start()
        seen = read_topic(settings.output_topic, count=count + 1, idle_s=3, timeout_s=seconds + 60,
                          on_record=lambda r: latencies.append(r.latency_ms or 0.0))
        sender.join()
        live = [r.latency_ms for r in seen.records[1:] if r.latency_ms is not None]
    finally:
        process.stop()
    return percentile(live, 50), percentile(live, 99)


def bench(quick: bool) -> None:
    count = 20_000 if quick else 100_000
    batches = [100, 1000] if quick else [1, 100, 1000]
    lingers = [5.0] if quick else [0.0, 5.0, 50.0]
    rate, seconds = (1000.0, 3.0) if quick else (1000.0, 6.0)
    report = BenchReport("ex01", f"ex01: transformer vs raw client, {RECORD_BYTES}-byte records",
                         ["what", "batch", "linger ms", "timeout ms", "records/s", "vs produce", "p50 ms",
                          "p99 ms"])
    report.progress(2 + 2 * (len(batches) * len(lingers) + 1))  # the baselines, then 2 steps a point
    source = f"ex01-bench-{uuid.uuid4().hex[:6]}.source"
    ensure_topics([source], partitions=3)
    with report.step("baseline: produce-only"):
        produce_rps = produce_only(source, count)
    with report.step("baseline: consume-only"):
        consume_rps = consume_only(source, count, 3)
    report.add("produce-only", "–", 5, "–", produce_rps, 1.0, "", "")
    report.add("consume-only", "–", "–", "–", consume_rps, ratio(consume_rps, produce_rps), "", "")

    points = [SweepPoint(batch, linger) for batch in batches for linger in lingers]
    points.append(SweepPoint(100, 0.0, batch_timeout_s=0.01))  # a low-latency profile
    for point in points:
        label = f"batch={point.batch_size} linger={point.linger_ms:g} timeout={point.batch_timeout_s:g}s"
        n = min(count, 5_000) if point.batch_size == 1 else count  # one commit per record is slow
        with report.step(f"transformer {label}: throughput"):
            point.records_per_s = transformer_throughput(source, n, point)
        with report.step(f"transformer {label}: latency at {rate:g}/s"):
            point.p50_ms, point.p99_ms = transformer_latency(point, rate, seconds)
        report.add("transformer", point.batch_size, point.linger_ms, point.batch_timeout_s * 1000,
                   point.records_per_s, ratio(point.records_per_s, produce_rps), point.p50_ms, point.p99_ms)
    sweep = points

    default = next((p for p in sweep if p.batch_size == 1000 and p.linger_ms == 5.0), sweep[-1])
    report.note(f"latency: {rate:g} records/s for {seconds:g}s per point, produce-to-read, "
                "generator and observer on this machine")
    metrics: dict[str, Any] = {
        "record_bytes": RECORD_BYTES, "records": count,
        "produce_only_rps": round(produce_rps), "consume_only_rps": round(consume_rps),
        "transformer_rps": round(default.records_per_s),
        "transformer_vs_produce_only": ratio(default.records_per_s, produce_rps),
        "transformer_vs_consume_only": ratio(default.records_per_s, consume_rps),
        "p50_ms": round(default.p50_ms, 1), "p99_ms": round(default.p99_ms, 1),
        "sweep": [{"batch": p.batch_size, "linger_ms": p.linger_ms, "batch_timeout_s": p.batch_timeout_s,
                   "rps": round(p.records_per_s),
                   "p50_ms": round(p.p50_ms, 1), "p99_ms": round(p.p99_ms, 1)} for p in sweep],
    }
    for column in ("records/s", "p99 ms"):
        report.chart("line", x="batch", y=column, series=["linger ms", "timeout ms"], logx=True,
                     where=lambda row: row["what"] == "transformer", title=f"transformer {column}",
                     baselines={"produce-only": produce_rps, "consume-only": consume_rps}
                     if column == "records/s" else {})
    report.finish(metrics)
