"""Streams on Kinesis: create them, read one back whole, and check what came out.

The reader is what a downstream consumer of the output stream does: read every shard from
TRIM_HORIZON, parents before children, drop the copies that at-least-once delivery makes (by the
source record's `eventID`, `shardId:sequenceNumber`, which the function stamps on every output), and
check each customer's orders arrived in order. `python -m exercises.ex04_kinesis_lambda.streams
STREAM` prints a stream's records.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

Record = dict[str, Any]


def create_stream(client: Any, name: str, shards: int = 1) -> str:
    """Create `name` and wait until it is ACTIVE (it starts CREATING, on AWS and on kinesis-local)."""
    client.create_stream(StreamName=name, ShardCount=shards)
    client.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})
    return name


def wait_active(client: Any, name: str, timeout_s: float = 30) -> None:
    """Wait for ACTIVE after an UpdateShardCount or SplitShard (the stream is UPDATING meanwhile)."""
    deadline = time.monotonic() + timeout_s
    def status() -> str:
        summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        return str(summary["StreamStatus"])

    while status() != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} not ACTIVE within {timeout_s:.0f}s")
        time.sleep(0.1)


def list_shards(client: Any, name: str) -> list[dict[str, Any]]:
    shards: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"StreamName": name}
    while True:
        page = client.list_shards(**kwargs)
        shards += page["Shards"]
        if not page.get("NextToken"):
            return shards
        kwargs = {"NextToken": page["NextToken"]}


def read_stream(client: Any, name: str) -> list[Record]:
    """Every record of every shard, parents first, each shard in sequence-number order, with its shard."""
    shards = list_shards(client, name)
    known = {s["ShardId"] for s in shards}
    ordered: list[dict[str, Any]] = []
    remaining = list(shards)
    while remaining:  # parents (still in the stream) before their children
        done = {s["ShardId"] for s in ordered}
        ready = [s for s in remaining if all(p in done or p not in known for p in
                                             (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p)]
        ordered += ready
        remaining = [s for s in remaining if s not in ready]
    out: list[Record] = []
    for shard in ordered:
        iterator = client.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=10_000)
            out += [{**r, "ShardId": shard["ShardId"]} for r in page["Records"]]
            iterator = page.get("NextShardIterator")
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
    return out


def decoded(records: Iterable[Record]) -> list[dict[str, Any]]:
    """The JSON documents in `records` (the output and dead-letter streams hold only JSON)."""
    return [json.loads(r["Data"]) for r in records]


def deduplicated(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first copy of each source record (by `source.eventID`), in stream order: what an
    idempotent consumer keeps when the mapping redelivered a batch."""
    seen: set[str] = set()
    kept = []
    for document in documents:
        event_id = document["source"]["eventID"]
        if event_id not in seen:
            seen.add(event_id)
            kept.append(document)
    return kept


def out_of_order(orders: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Customers whose orders' `seq` did not come strictly increasing, with the sequence seen."""
    by_customer: dict[str, list[int]] = {}
    for order in orders:
        by_customer.setdefault(order["customer_id"], []).append(int(order["seq"]))
    return {c: seqs for c, seqs in by_customer.items() if any(b <= a for a, b in pairwise(seqs))}


def main(argv: list[str]) -> int:
    import boto3

    if len(argv) != 1:
        print("usage: python -m exercises.ex04_kinesis_lambda.streams STREAM", file=sys.stderr)
        return 2
    records = read_stream(boto3.client("kinesis"), argv[0])
    for record in records:
        print(f"{record['ShardId']} {record['SequenceNumber']} {record['PartitionKey']}: "
              f"{record['Data'][:160].decode(errors='replace')}")
    print(f"{len(records)} records in {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
