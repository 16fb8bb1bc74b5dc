"""The generator: realistic keyed order events, published to the input stream with PutRecords.

The partition key is the customer id, so all of one customer's orders land on one shard and the
function sees them in the order they were written; `seq` counts each customer's orders so that a
reader can check that order downstream. The PutRecords call itself, with its partial-failure retry,
is the learner's `put_records` (the same one the function uses for its output).

Run it by hand (`python -m exercises.ex04_kinesis_lambda.generator STREAM COUNT [RATE]`) or deployed
as the template's scheduled `GeneratorFunction`, whose handler is `scheduled_handler` below.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from exercises.ex04_kinesis_lambda.catalog import load_catalog

PutRecords = Callable[..., list[int]]
"""`put_records(client, stream_name, entries, **options) -> indexes of entries left undelivered`."""


def orders(count: int, run: str = "run", customers: int = 20, seed: int = 4) -> Iterator[dict[str, Any]]:
    """`count` order events from `customers` customers, each customer's `seq` counting from 1."""
    rng = random.Random(seed)
    skus = sorted(load_catalog())
    counters: dict[str, int] = {}
    for i in range(count):
        customer = f"c-{rng.randrange(customers):03d}"
        counters[customer] = counters.get(customer, 0) + 1
        yield {"order_id": f"{run}-{i:06d}", "customer_id": customer, "sku": rng.choice(skus),
               "quantity": rng.randint(1, 5), "seq": counters[customer],
               "ts": datetime.now(UTC).isoformat(timespec="milliseconds")}


def entry(order: dict[str, Any]) -> dict[str, Any]:
    """A PutRecords entry for an order: its JSON, keyed by customer."""
    return {"Data": json.dumps(order).encode(), "PartitionKey": str(order["customer_id"])}


def publish(client: Any, stream: str, entries: Sequence[dict[str, Any]], put: PutRecords,
            rate_per_s: float = 0.0, chunk: int = 500) -> int:
    """Put `entries` in chunks of `chunk` (at `rate_per_s` on average, 0: flat out); the number
    delivered. Entries still failing after `put`'s retries are an error, not a silent loss."""
    began = time.monotonic()
    for start in range(0, len(entries), chunk):
        if rate_per_s:
            time.sleep(max(0.0, began + start / rate_per_s - time.monotonic()))
        part = entries[start:start + chunk]
        left = put(client, stream, part)
        if left:
            raise RuntimeError(f"{len(left)} of {len(part)} records not accepted by {stream} after retries")
    return len(entries)


def _put_records() -> PutRecords:
    """The implementation's `put_records` (EX04_IMPL: solution by default; the deploy package holds one)."""
    impl = os.environ.get("EX04_IMPL", "solution")
    module = importlib.import_module(f"exercises.ex04_kinesis_lambda.{impl}.put_records")
    put: PutRecords = module.put_records
    return put


def scheduled_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The generator as a Lambda function run by an EventBridge schedule: one burst per invocation."""
    import boto3

    stream = os.environ["EX04_INPUT_STREAM"]
    count = int(os.environ.get("EX04_BURST", "100"))
    run = getattr(context, "aws_request_id", "scheduled")[:8]
    sent = publish(boto3.client("kinesis"), stream, [entry(o) for o in orders(count, run=run,
                                                                                seed=int(time.time()))],
                   _put_records())
    return {"sent": sent}


def main(argv: list[str]) -> int:
    import boto3

    if len(argv) not in (2, 3):
        print("usage: python -m exercises.ex04_kinesis_lambda.generator STREAM COUNT [RATE_PER_S]",
              file=sys.stderr)
        return 2
    stream, count = argv[0], int(argv[1])
    rate = float(argv[2]) if len(argv) == 3 else 0.0
    sent = publish(boto3.client("kinesis"), stream, [entry(o) for o in orders(count)], _put_records(), rate)
    print(f"sent {sent} orders to {stream}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
