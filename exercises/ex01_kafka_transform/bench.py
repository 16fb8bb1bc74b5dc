"""`bootcamp bench ex01`: what the transformer costs, against the broker's raw speed, in one run.

Baselines, same client library and settings, same broker, same record size:
- produce-only: one idempotent producer, as fast as it can, acks from the broker;
- consume-only: one consumer reading those records back.
Then, for each tuning profile, the at-least-once transformer and the exactly-once one (real
processes), at the same load:
- throughput: it drains a pre-filled topic; records/s is taken from the output records' own
  timestamps (first to last), so start-up and group join are not counted;
- latency: the generator (a process of its own) sends at a steady rate; the observer reads the
  output live (`read_committed`) and measures produce-to-read time per record (p50, p99).

A point that measured nothing (a transformer that died, an empty output) is reported as such, in
the table and as `null` in the JSON line; the run goes on. Progress shows while it runs.
"""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bootcamp.bench import BenchReport, Stopwatch, percentile, result_line
from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import timestamp_ms
from bootcamp.paths import REPO_ROOT, state_dir
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.generator import PRODUCED_AT, produce, records
from exercises.ex01_kafka_transform.harness import TransformerProcess, fresh_settings, wait_for
from exercises.ex01_kafka_transform.observer import Observed, read_topic

RECORD_BYTES = 200
PRODUCER = {"enable.idempotence": True, "linger.ms": 5, "compression.type": "lz4",
            "partitioner": "murmur2_random"}
MODES = {"at-least-once": "transformer", "exactly-once": "transactional"}
# A latency point sends at its rate for this long before the records it counts: the first seconds
# of a stream at a new rate (the consumer's fetch queue, the broker's JIT, the client's buffers
# filling) are a start-up, not the steady state the point stands for. Measured at 15,000 records/s:
# the slow records of a run were all among the first 2.5 s (p99 72 ms over the whole run, 16.6 ms
# in another run without that ramp).
WARM_UP_S = 3.0
CAUGHT_UP_WAIT_S = 20.0  # how long the stream waits for the observer to be at the end
NAN = math.nan


@dataclass(frozen=True)
class Profile:
    """A tuning profile: the knobs `EX01_*` that set the transformer's batching."""

    name: str
    batch_size: int
    linger_ms: float
    batch_timeout_s: float
    source_linger_ms: float = 5.0  # the generator's own linger, part of the end-to-end latency
    batch_wait: str = "fill"  # EX01_BATCH_WAIT: fill the batch (or time out), or take what is ready


@dataclass
class Point:
    profile: Profile
    mode: str
    records_per_s: float = NAN
    p50_ms: float = NAN
    p99_ms: float = NAN
    rate: float = NAN
    load: float = NAN  # os.getloadavg()'s 1-minute figure after the latency point
    errors: list[str] = field(default_factory=list)


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
    return seen / (time.perf_counter() - started) if started else NAN


def _settings(label: str, profile: Profile) -> TransformerSettings:
    return fresh_settings(label, batch_size=profile.batch_size, linger_ms=profile.linger_ms,
                          batch_timeout_s=profile.batch_timeout_s, batch_wait=profile.batch_wait)


def transformer_throughput(source_topic: str, count: int, point: Point) -> float:
    settings = _settings("bench", point.profile).model_copy(update={"input_topic": source_topic})
    process = TransformerProcess(settings, log_name=f"bench-{point.mode}-{point.profile.name}",
                                 module=MODES[point.mode])
    try:
        wait_for(lambda: len(read_topic(settings.output_topic, timeout_s=30).records) >= count,
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
    return len(stamps) / span_s if span_s > 0 else NAN


def _live_latency(settings: TransformerSettings, read: str, rate: float, seconds: float,
                  source_linger_ms: float, skip: int) -> tuple[float, float]:
    """Run the generator (a process of its own) into the input topic at `rate`, read `read` live.

    The generator starts once the observer is reading at the end of `read`: started together, the
    observer's own start (a new consumer's connection, offsets and first fetch) delayed the first
    records of the stream, and at 6 s a run counted that start as its p99. Python's cyclic garbage
    collector is off while the observer reads: it keeps every record it has read, and each full
    collection walks all of them, a pause that grows with the run and is stamped on every record
    that arrives during it. The observer creates no reference cycles, so nothing is leaked.
    """
    count = int(rate * (WARM_UP_S + seconds))
    env = {**os.environ, **{f"EX01_{k.upper()}": str(v) for k, v in settings.model_dump().items()
                            if v is not None}}
    started: list[subprocess.Popen[bytes]] = []
    once = threading.Lock()

    def start_generator() -> None:
        if not once.acquire(blocking=False):
            return
        started.append(subprocess.Popen(
            [sys.executable, "-m", "exercises.ex01_kafka_transform.generator", "--count", str(count),
             "--rate", str(rate), "--size", str(RECORD_BYTES), "--seed", "11",
             "--linger-ms", str(source_linger_ms)],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    # Should the observer never see the end of every partition, the stream starts anyway (its first
    # records then carry the observer's start, and the warm-up drops them).
    fallback = threading.Timer(CAUGHT_UP_WAIT_S, start_generator)
    fallback.start()
    gc.disable()  # see the docstring: the observer's own full collections are not the pipeline's
    try:
        seen = read_topic(read, count=count + skip, timeout_s=CAUGHT_UP_WAIT_S + WARM_UP_S + seconds + 60,
                          follow=True, on_caught_up=start_generator)
    finally:
        gc.enable()
        fallback.cancel()
        for generator in started:
            generator.wait(60)
    p50, p99 = steady_state(seen.records[skip:])
    if math.isnan(p99):
        raise RuntimeError(f"no record produced after the {WARM_UP_S:g} s warm-up reached {read} "
                           f"({len(seen.records)} read in all)")
    return p50, p99


def steady_state(observed: list[Observed]) -> tuple[float, float]:
    """p50 and p99 of the records produced after the first `WARM_UP_S` seconds of the stream."""
    stamps = [int(stamp) for r in observed if (stamp := r.headers.get(PRODUCED_AT, b"")).isdigit()]
    if not stamps:
        return NAN, NAN
    after = min(stamps) + int(WARM_UP_S * 1e9)
    live = [r.latency_ms for r in observed if r.latency_ms is not None
            and int(r.headers[PRODUCED_AT]) >= after]
    return percentile(live, 50), percentile(live, 99)


def raw_latency(rate: float, seconds: float, source_linger_ms: float) -> tuple[float, float]:
    """The floor: the same generator and observer on the input topic, no transformer between."""
    settings = fresh_settings("raw")
    return _live_latency(settings, settings.input_topic, rate, seconds, source_linger_ms, skip=0)


def transformer_latency(point: Point, rate: float, seconds: float) -> tuple[float, float]:
    """p50 and p99 produce-to-read latency at a steady `rate`, the generator in its own process."""
    settings = _settings("lat", point.profile)
    process = TransformerProcess(settings, log_name=f"bench-latency-{point.mode}", module=MODES[point.mode])
    producer = Producer(client_config(PRODUCER))
    try:
        # Warm up until the transformer has joined its group and moved a record through.
        produce(producer, settings.input_topic, records(1, size=RECORD_BYTES))
        wait_for(lambda: bool(read_topic(settings.output_topic, count=1, timeout_s=5).records),
                 90, "the transformer to join its group", process)
        return _live_latency(settings, settings.output_topic, rate, seconds,
                             point.profile.source_linger_ms, skip=1)
    finally:
        process.stop()


def _num(value: float, digits: int = 1) -> float | None:
    """A figure for the JSON line: rounded, or null when nothing was measured."""
    return None if value is None or math.isnan(value) else round(value, digits)


def _cell(value: float, unit: str = "") -> str:
    if value is None or math.isnan(value):
        return "not measured"
    return f"{value:,.0f}{unit}" if abs(value) >= 100 else f"{value:,.3g}{unit}"


class Steps:
    """A progress bar over the run's steps; a step that fails is recorded, and the run goes on."""

    def __init__(self, console: Console, total: int) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.task = self.progress.add_task("ex01 bench", total=total)

    @contextmanager
    def step(self, text: str, errors: list[str]) -> Iterator[None]:
        self.progress.update(self.task, description=text)
        try:
            yield
        except Exception as exc:  # a point that fails is reported as not measured
            errors.append(f"{text}: {type(exc).__name__}: {exc}")
            self.progress.console.print(f"[yellow]{text}: not measured ({type(exc).__name__}: {exc})")
            if os.environ.get("BOOTCAMP_BENCH_DEBUG"):
                traceback.print_exc()
        finally:
            self.progress.advance(self.task)


def profiles(quick: bool) -> list[Profile]:
    """The default settings, the batch-size extremes, the low-latency profile of Tune it (a short
    timeout to fill the batch), first-record with linger 0 (the before), and the tuned one last:
    wait for the first record only, then take what is ready (`EX01_BATCH_WAIT=first`), with a 5 ms
    linger on both producers (linger 0 sends a request per record or two, and at tens of thousands of
    records/s the requests queue behind the in-flight limit and cost the CPU the chain needs)."""
    default = Profile("default", 500, 5.0, 0.1)
    tuned = Profile("first-record, linger 5", 500, 5.0, 0.1, source_linger_ms=5.0, batch_wait="first")
    if quick:
        return [default, tuned]
    return [Profile("batch-1", 1, 0.0, 0.1), Profile("batch-100", 100, 5.0, 0.1), default,
            Profile("batch-2000", 2000, 5.0, 0.1), Profile("timeout-10ms", 500, 5.0, 0.01),
            Profile("low-latency", 500, 0.0, 0.005, source_linger_ms=0.0),
            Profile("first-record, linger 0", 500, 0.0, 0.1, source_linger_ms=0.0, batch_wait="first"),
            tuned]


def per_record_sample(point: Point, count: int) -> int:
    """Records for a throughput point: all of them, but fewer for batch 1, which commits (or, exactly
    once, commits a transaction) per record: 5,000 at-least-once, 500 exactly-once. At 5,000 the
    exactly-once point never finished within the 300 s bound, so it measured nothing in every run."""
    if point.profile.batch_size != 1:
        return count
    return min(count, 500 if point.mode == "exactly-once" else 5_000)


def keeps_up(point: Point, rate: float) -> None:
    """Refuse a latency point the transformer cannot keep up with: below the load's rate its backlog,
    and so its latency, grows for as long as the point runs, and a p99 of that says nothing."""
    if not math.isnan(point.records_per_s) and point.records_per_s < rate:
        raise RuntimeError(f"its throughput ({point.records_per_s:,.0f} records/s) is below the "
                           f"{rate:g}/s load: the backlog, and with it the latency, grows without bound")


def bench(quick: bool) -> None:
    console = Console(width=150)
    count = 5_000 if quick else 100_000  # quick: proves every step runs, not a measurement
    rate, seconds = (1000.0, 2.0) if quick else (1000.0, 6.0)
    chosen = profiles(quick)
    points = [Point(p, mode) for p in chosen for mode in MODES]
    half_load = [Point(chosen[-1], mode) for mode in MODES]  # the tuned profile at half its throughput
    steps = Steps(console, 3 + 2 * len(points) + len(half_load))
    errors: list[str] = []
    produce_rps = consume_rps = raw_p50 = raw_p99 = raw_load = NAN
    source = f"ex01-bench-{uuid.uuid4().hex[:6]}.source"
    ensure_topics([source], partitions=3)
    with steps.progress:
        with steps.step("baseline: produce-only", errors):
            produce_rps = produce_only(source, count)
        with steps.step("baseline: consume-only", errors):
            consume_rps = consume_only(source, count, 3)
        with steps.step(f"baseline: produce-to-read latency at {rate:g}/s, no transformer", errors):
            raw_p50, raw_p99 = raw_latency(rate, seconds, source_linger_ms=0.0)
        raw_load = os.getloadavg()[0]
        for point in points:
            label = f"{point.mode} {point.profile.name}"
            n = per_record_sample(point, count)
            with steps.step(f"{label}: throughput ({n:,} records)", point.errors):
                point.records_per_s = transformer_throughput(source, n, point)
            with steps.step(f"{label}: latency at {rate:g}/s", point.errors):
                point.rate = rate
                keeps_up(point, rate)
                point.p50_ms, point.p99_ms = transformer_latency(point, rate, seconds)
                point.load = os.getloadavg()[0]
        for point in half_load:
            measured = next(p for p in points if p.profile == point.profile and p.mode == point.mode)
            with steps.step(f"{point.mode} {point.profile.name}: latency at half its throughput",
                            point.errors):
                if math.isnan(measured.records_per_s):
                    raise RuntimeError("its throughput was not measured")
                point.rate = round(measured.records_per_s / 2)
                point.p50_ms, point.p99_ms = transformer_latency(point, point.rate, seconds)
                point.load = os.getloadavg()[0]
    _report(console, count, (produce_rps, consume_rps, raw_p50, raw_p99, raw_load), points, half_load,
            errors)


def _report(console: Console, count: int, baselines: tuple[float, float, float, float, float],
            points: list[Point], half_load: list[Point], errors: list[str]) -> None:
    produce_rps, consume_rps, raw_p50, raw_p99, raw_load = baselines

    def vs(value: float) -> str:
        return "–" if math.isnan(value) or math.isnan(produce_rps) else f"{value / produce_rps:.3f}"

    table = Table(title=f"ex01: transformer vs raw client, {RECORD_BYTES}-byte records, {count:,} records")
    for column in ("what", "mode", "batch", "wait", "linger ms", "timeout ms", "records/s", "vs produce",
                   "load rec/s", "p50 ms", "p99 ms", "load 1m"):
        table.add_column(column, justify="left" if column in ("what", "mode") else "right")
    table.add_row("produce-only", "–", "–", "–", "5", "–", _cell(produce_rps), "1.000", "", "", "", "")
    table.add_row("consume-only", "–", "–", "–", "–", "–", _cell(consume_rps), vs(consume_rps), "", "", "",
                  "")
    table.add_row("produce-to-read, no transformer", "–", "–", "–", "0", "–", "", "", "1,000",
                  _cell(raw_p50), _cell(raw_p99), f"{raw_load:.2f}")
    for point in [*points, *half_load]:
        p = point.profile
        swept = point in points
        table.add_row(p.name, point.mode, str(p.batch_size), p.batch_wait, f"{p.linger_ms:g}",
                      f"{p.batch_timeout_s * 1000:g}", _cell(point.records_per_s) if swept else "",
                      vs(point.records_per_s) if swept else "", _cell(point.rate), _cell(point.p50_ms),
                      _cell(point.p99_ms), f"{point.load:.2f}")
    console.print(table)
    console.print("  latency: produce-to-read at a steady load, generator and observer on this machine; "
                  "the observer reads read_committed")
    for point in [*points, *half_load]:
        errors += point.errors
    for error in errors:
        console.print(f"  [yellow]not measured: {error}")

    def row(point: Point) -> dict[str, Any]:
        p = point.profile
        return {"profile": p.name, "mode": point.mode, "batch": p.batch_size, "linger_ms": p.linger_ms,
                "batch_timeout_s": p.batch_timeout_s, "rps": _num(point.records_per_s, 0),
                "batch_wait": p.batch_wait, "load_rps": _num(point.rate, 0), "p50_ms": _num(point.p50_ms),
                "p99_ms": _num(point.p99_ms), "load_1m": _num(point.load, 2)}

    def pick(mode: str, name: str, among: list[Point]) -> Point | None:
        return next((p for p in among if p.mode == mode and p.profile.name == name), None)

    default, eos = pick("at-least-once", "default", points), pick("exactly-once", "default", points)
    metrics: dict[str, Any] = {
        "exercise": "ex01", "record_bytes": RECORD_BYTES, "records": count,
        "produce_only_rps": _num(produce_rps, 0), "consume_only_rps": _num(consume_rps, 0),
        "raw_p50_ms": _num(raw_p50), "raw_p99_ms": _num(raw_p99), "raw_load_1m": _num(raw_load, 2),
        "transformer_rps": _num(default.records_per_s, 0) if default else None,
        "transformer_vs_produce_only": _num(default.records_per_s / produce_rps, 3) if default else None,
        "p50_ms": _num(default.p50_ms) if default else None,
        "p99_ms": _num(default.p99_ms) if default else None,
        "exactly_once_rps": _num(eos.records_per_s, 0) if eos else None,
        "exactly_once_p99_ms": _num(eos.p99_ms) if eos else None,
        "sweep": [row(p) for p in points], "half_load": [row(p) for p in half_load],
        "not_measured": len(errors),
    }
    _draw(console, produce_rps, points)
    print(result_line("ex01", metrics), flush=True)


def _draw(console: Console, produce_rps: float, points: list[Point]) -> None:
    """The sweep as a chart (throughput and p99 per profile, each mode side by side), drawn by the
    platform's harness; a chart that cannot be drawn costs a line, never the figures."""
    chart = BenchReport("ex01", "ex01: at-least-once and exactly-once by profile, same load",
                        ["profile", "mode", "records/s", "p99 ms"], console=console)
    for point in points:
        chart.add(point.profile.name, point.mode, point.records_per_s, point.p99_ms)
    chart.chart("bar", x="profile", y="records/s", series="mode", title="throughput",
                baselines={"produce-only": produce_rps})
    chart.chart("bar", x="profile", y="p99 ms", series="mode", title="p99 produce-to-read latency")
    try:
        console.print(f"  chart: {chart.draw(state_dir() / 'bench' / 'ex01.png')}", markup=False,
                      highlight=False, soft_wrap=True)
    except Exception as exc:  # a chart that fails must not cost the figures
        console.print(f"  chart not drawn: {type(exc).__name__}: {exc}", markup=False, highlight=False)

