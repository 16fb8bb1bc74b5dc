"""`bootcamp run ex04`: generator -> input stream -> mapping -> packaged function -> output stream.

Everything is local: kinesis-local for the streams, the function's package under the Lambda Runtime
Interface Emulator, the platform's event source mapping with deploy/template.yaml's settings. The
reader at the end is what a consumer of the output stream does: drop redelivered copies by source
eventID and check each customer's order.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
from rich.console import Console

from bootcamp.aws.kinesis_poller import KinesisPoller, kinesis_stream_destination
from bootcamp.exercises import RunResult
from bootcamp.paths import service_dir
from exercises.ex04_kinesis_lambda import streams
from exercises.ex04_kinesis_lambda.generator import entry, orders, publish
from exercises.ex04_kinesis_lambda.pipeline import (
    build_package,
    function_env,
    mapping_settings,
    start_function,
)
from exercises.ex04_kinesis_lambda.solution.put_records import put_records

console = Console()
BAD = [b"{not json", b'{"order_id": "r-bad", "customer_id": "c-001", "sku": "SKU-9999", "quantity": 1}',
       b'{"order_id": "r-bad2", "customer_id": "c-002", "quantity": 2}']


def run(quick: bool) -> RunResult:
    count = 500 if quick else 5000
    client = boto3.client("kinesis")
    home = service_dir("ex04")
    run_id = uuid.uuid4().hex[:6]
    names = {role: f"ex04-run-{run_id}-{role}" for role in ("in", "out", "dlq", "onfailure")}
    streams.create_stream(client, names["in"], shards=2)
    for role in ("out", "dlq", "onfailure"):
        streams.create_stream(client, names[role])
    console.print(f"streams: {names['in']} (2 shards) -> {names['out']}; dead letters {names['dlq']}; "
                  f"on-failure {names['onfailure']}")
    package = build_package("solution", home / "run", zipped=False)
    endpoint = client.meta.endpoint_url
    function = start_function(package, "solution", function_env(endpoint, names["out"], names["dlq"]),
                              name="ex04-run")
    try:
        entries = [entry(o) for o in orders(count, run=f"r{run_id}")]
        entries[count // 3:count // 3] = [{"Data": b, "PartitionKey": f"bad-{i}"} for i, b in enumerate(BAD)]
        sent = publish(client, names["in"], entries, put_records)
        console.print(f"generator: {sent} records put ({len(BAD)} deliberately bad)")
        settings = mapping_settings()
        poller = KinesisPoller(client, names["in"], settings, function.invoke,
                               Path(home / f"checkpoints-{run_id}.json"),
                               on_failure=kinesis_stream_destination(client, names["onfailure"]))
        poller.run_until(lambda: poller.stats.delivered + poller.stats.skipped >= sent, timeout_s=300)
        console.print(f"mapping: {poller.stats} (BatchSize {settings.batch_size}, "
                      f"ReportBatchItemFailures {settings.report_batch_item_failures})")
    finally:
        function.stop()
    out = streams.decoded(streams.read_stream(client, names["out"]))
    kept = streams.deduplicated(out)
    dead = streams.decoded(streams.read_stream(client, names["dlq"]))
    failures = streams.decoded(streams.read_stream(client, names["onfailure"]))
    for document in kept[:2]:
        console.print_json(json.dumps(document))
    for letter in dead:
        console.print(f"dead letter ({letter['partitionKey']}): {letter['reason']}")
    disorder = streams.out_of_order(kept)
    for name in names.values():
        client.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    ok = len(kept) == count and len(dead) == len(BAD) and not disorder and not failures
    return RunResult(ok, f"{sent} in -> {len(kept)} enriched ({len(out) - len(kept)} redelivered copies "
                         f"dropped) + {len(dead)} dead-lettered with a reason; per-key order "
                         f"{'kept' if not disorder else 'BROKEN'}; {len(failures)} batches given up",
                     {"in": str(sent), "out": str(len(kept)), "dead-lettered": str(len(dead))})
