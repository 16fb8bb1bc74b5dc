"""`bootcamp bench ex04`: orders per second and put-to-output latency through the packaged function,
beside a plain boto3 get/put loop moving the same orders in the same run, with the batch size and the
ParallelizationFactor swept.

Each row: a fresh one-shard input stream; a producer thread puts the orders (PutRecords, 50 a call)
while the consumer runs: the event source mapping invoking the function under the emulator, or the
baseline loop (GetRecords, the same `enrich` in process, PutRecords). With a ParallelizationFactor of
N the mapping runs up to N batches of the shard at once, so N emulators run the function: one
Runtime Interface Emulator takes one invocation at a time, as one Lambda execution environment does,
and Lambda starts an environment per concurrent batch. Latency is the output record's
ApproximateArrivalTimestamp minus its source record's (both stamped by the same server), so it
includes the wait behind earlier records; throughput is orders over first input to last output.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bootcamp.aws.kinesis_poller import KinesisPoller
from bootcamp.bench import BenchReport, percentile, ratio
from bootcamp.lambda_emulator import LambdaEmulator
from bootcamp.paths import service_dir
from exercises.ex04_kinesis_lambda import streams
from exercises.ex04_kinesis_lambda.catalog import load_catalog
from exercises.ex04_kinesis_lambda.generator import entry, orders
from exercises.ex04_kinesis_lambda.pipeline import (
    build_package,
    function_env,
    mapping_settings,
    start_function,
)
from exercises.ex04_kinesis_lambda.solution.enrich import enrich


@dataclass
class Row:
    per_s: float
    p50_ms: float
    p99_ms: float
    invocations: int


def _produce(client: Any, stream: str, entries: list[dict[str, Any]], errors: list[BaseException]) -> None:
    try:
        for start in range(0, len(entries), 50):
            response = client.put_records(StreamName=stream, Records=entries[start:start + 50])
            if response["FailedRecordCount"]:
                raise RuntimeError("kinesis-local refused a record")
    except BaseException as exc:  # reported by the caller
        errors.append(exc)


def _measure(client: Any, stream: str, output: str, run: str) -> tuple[float, float, float]:
    arrivals = {r["SequenceNumber"]: r["ApproximateArrivalTimestamp"].timestamp()
                for r in streams.read_stream(client, stream)}
    latencies: list[float] = []
    last = 0.0
    for record in streams.read_stream(client, output):
        document = json.loads(record["Data"])
        if not str(document.get("order_id", "")).startswith(run):
            continue
        arrived = record["ApproximateArrivalTimestamp"].timestamp()
        latencies.append(arrived - arrivals[document["source"]["sequenceNumber"]])
        last = max(last, arrived)
    elapsed = last - min(arrivals.values())
    return len(latencies) / elapsed, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000


class Environments:
    """Several emulators of one function, each taking one invocation at a time: what Lambda does when
    the mapping has several batches in flight (an execution environment per concurrent invocation)."""

    def __init__(self, functions: list[LambdaEmulator]) -> None:
        self._free: queue.Queue[LambdaEmulator] = queue.Queue()
        for function in functions:
            self._free.put(function)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        function = self._free.get()
        try:
            return function.invoke(event)
        finally:
            self._free.put(function)


def through_function(client: Any, function: LambdaEmulator | Environments, output: str, count: int,
                     batch_size: int, home: Path, factor: int = 1) -> Row:
    run = uuid.uuid4().hex[:8]
    stream = streams.create_stream(client, f"ex04-bench-{run}")
    entries = [entry(o) for o in orders(count, run=run)]
    settings = mapping_settings(batch_size=batch_size, maximum_batching_window_s=0,
                                parallelization_factor=factor)
    poller = KinesisPoller(client, stream, settings, function.invoke, home / f"checkpoints-{run}.json")
    errors: list[BaseException] = []
    producer = threading.Thread(target=_produce, args=(client, stream, entries, errors))
    producer.start()
    poller.run_until(lambda: poller.stats.delivered >= count or bool(errors), timeout_s=300)
    producer.join()
    if errors:
        raise errors[0]
    per_s, p50, p99 = _measure(client, stream, output, run)
    client.delete_stream(StreamName=stream, EnforceConsumerDeletion=True)
    return Row(per_s, p50, p99, poller.stats.invocations)


def baseline(client: Any, output: str, count: int, batch_size: int) -> Row:
    """The same orders moved by a plain loop: GetRecords, enrich in process, PutRecords."""
    run = uuid.uuid4().hex[:8]
    stream = streams.create_stream(client, f"ex04-bench-{run}")
    entries = [entry(o) for o in orders(count, run=run)]
    errors: list[BaseException] = []
    producer = threading.Thread(target=_produce, args=(client, stream, entries, errors))
    producer.start()
    catalog = load_catalog()
    iterator = client.get_shard_iterator(StreamName=stream, ShardId="shardId-000000000000",
                                         ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    moved = calls = 0
    deadline = time.monotonic() + 300
    while moved < count and not errors and time.monotonic() < deadline:
        page = client.get_records(ShardIterator=iterator, Limit=batch_size)
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            time.sleep(0.02)
            continue
        out = []
        for record in page["Records"]:
            document = enrich(record["Data"], catalog)
            number = record["SequenceNumber"]
            document["source"] = {"eventID": f"shardId-000000000000:{number}",
                                  "shardId": "shardId-000000000000", "sequenceNumber": number}
            out.append({"Data": json.dumps(document).encode(), "PartitionKey": record["PartitionKey"]})
        client.put_records(StreamName=output, Records=out)
        moved += len(out)
        calls += 1
    producer.join()
    if errors:
        raise errors[0]
    per_s, p50, p99 = _measure(client, stream, output, run)
    client.delete_stream(StreamName=stream, EnforceConsumerDeletion=True)
    return Row(per_s, p50, p99, calls)


def bench(quick: bool) -> None:
    count, sizes = (200, (25, 100)) if quick else (2000, (10, 100, 500))
    factors = (2,) if quick else (2, 4)
    small = min(sizes)
    report = BenchReport("ex04", f"ex04: {count} orders, one shard, through the function vs a plain loop",
                         ["what", "batch size", "factor", "orders/s", "p50 ms", "p99 ms", "calls"])
    report.progress(2 + 2 * len(sizes) + len(factors))
    report.chart("bar", x=["what", "batch size", "factor"], y="orders/s", title="orders/s, put to output")
    report.chart("bar", x=["what", "batch size", "factor"], y=["p50 ms", "p99 ms"],
                 title="latency, put to output")
    client = boto3.client("kinesis")
    home = service_dir("ex04")
    output = streams.create_stream(client, f"ex04-bench-out-{uuid.uuid4().hex[:6]}")
    dead = streams.create_stream(client, f"ex04-bench-dlq-{uuid.uuid4().hex[:6]}")
    functions: list[LambdaEmulator] = []
    with report.step(f"build the package and start the function under {max(factors)} emulators"):
        package = build_package("solution", home / "bench", zipped=False)
        env = function_env(client.meta.endpoint_url, output, dead)
        for n in range(max(factors)):
            functions.append(start_function(package, "solution", env, name=f"ex04-bench-{n}"))
    function = functions[0]
    rows: dict[str, Row] = {}
    try:
        with report.step("warm the functions (their cold starts are not measured)"):
            for each in functions:
                through_function(client, each, output, 5, 5, home)
        for size in sizes:
            with report.step(f"function, BatchSize {size}"):
                rows[f"function {size}"] = row = through_function(client, function, output, count, size, home)
            report.add("mapping + function", size, 1, row.per_s, row.p50_ms, row.p99_ms, row.invocations)
            with report.step(f"baseline loop, Limit {size}"):
                rows[f"baseline {size}"] = base = baseline(client, output, count, size)
            report.add("plain get/put loop", size, "-", base.per_s, base.p50_ms, base.p99_ms,
                       base.invocations)
        for factor in factors:
            with report.step(f"function, BatchSize {small}, ParallelizationFactor {factor}"):
                rows[f"factor {factor}"] = row = through_function(
                    client, Environments(functions[:factor]), output, count, small, home, factor=factor)
            report.add("mapping + function", small, factor, row.per_s, row.p50_ms, row.p99_ms,
                       row.invocations)
    finally:
        for each in functions:
            each.stop()
        for name in (output, dead):
            client.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    report.note("calls: Lambda invocations for the function, GetRecords+PutRecords rounds for the loop")
    report.note(f"factor: ParallelizationFactor, with that many emulators (one invocation each at a time); "
                f"its rows use BatchSize {small}")
    largest = max(sizes)
    report.finish({
        **{f"function_batch_{s}_per_s": rows[f"function {s}"].per_s for s in sizes},
        **{f"baseline_batch_{s}_per_s": rows[f"baseline {s}"].per_s for s in sizes},
        **{f"function_batch_{s}_p99_ms": rows[f"function {s}"].p99_ms for s in sizes},
        **{f"function_batch_{small}_factor_{f}_per_s": rows[f"factor {f}"].per_s for f in factors},
        **{f"factor_{f}_vs_1_batch_{small}": ratio(rows[f"factor {f}"].per_s, rows[f"function {small}"].per_s)
           for f in factors},
        f"function_vs_baseline_batch_{largest}": ratio(rows[f"function {largest}"].per_s,
                                                       rows[f"baseline {largest}"].per_s),
        f"batch_{largest}_vs_{small}": ratio(rows[f"function {largest}"].per_s,
                                             rows[f"function {small}"].per_s),
    })
