"""The whole path on the real local parts: input stream -> event source mapping (the platform's
poller, with deploy/template.yaml's settings) -> the packaged function under the Lambda Runtime
Interface Emulator -> output and dead-letter streams, with faults injected by the proxy."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bootcamp.aws.kinesis_poller import KinesisPoller, MappingSettings, kinesis_stream_destination
from bootcamp.lambda_emulator import LambdaEmulator
from exercises.ex04_kinesis_lambda import streams
from exercises.ex04_kinesis_lambda.catalog import load_catalog
from exercises.ex04_kinesis_lambda.generator import orders
from exercises.ex04_kinesis_lambda.pipeline import mapping_settings
from exercises.ex04_kinesis_lambda.tests.conftest import STRICT_TIMEOUT_S, Sinks
from exercises.ex04_kinesis_lambda.tests.faults import FaultyKinesis
from exercises.ex04_kinesis_lambda.tests.support import (
    BAD_INPUTS,
    bad_entries,
    caught_up,
    dead_letters_of,
    failures_in,
    order_entry,
    original,
    outputs_of,
    put_input,
)

pytestmark = pytest.mark.integration
SHARD0 = "shardId-000000000000"


def poller_for(kinesis: Any, stream: str, function: LambdaEmulator, tmp_path: Path,
               settings: MappingSettings, failure_stream: str | None = None) -> KinesisPoller:
    on_failure = kinesis_stream_destination(kinesis, failure_stream) if failure_stream else None
    return KinesisPoller(kinesis, stream, settings, function.invoke, tmp_path / "checkpoints.json",
                         on_failure=on_failure)


def test_every_order_is_enriched_once_in_per_key_order_and_bad_ones_dead_lettered(
        kinesis: Any, function: LambdaEmulator, sinks: Sinks, make_stream: Callable[..., str],
        faults: FaultyKinesis, run_id: str, tmp_path: Path) -> None:
    stream = make_stream("in", shards=2)
    good = [order_entry(o) for o in orders(200, run=run_id)]
    bad = bad_entries(run_id)
    entries = good[:70] + bad[:3] + good[70:150] + bad[3:] + good[150:]
    last = put_input(kinesis, stream, entries)
    poller = poller_for(kinesis, stream, function, tmp_path, mapping_settings(maximum_batching_window_s=0))

    poller.run_until(lambda: caught_up(poller, last), timeout_s=60)

    out = outputs_of(kinesis, sinks.output, run_id)
    assert sorted(o["order_id"] for o in out) == sorted(f"{run_id}-{i:06d}" for i in range(200)), \
        "every good order is in the output stream exactly once"
    assert streams.out_of_order(out) == {}, "each customer's orders stay in order"
    catalog = load_catalog()
    for order in out:
        product = catalog[order["sku"]]
        assert order["product"] == {"name": product.name, "category": product.category,
                                    "unit_price": str(product.unit_price)}
        assert Decimal(order["amount"]) == product.unit_price * order["quantity"]
        source = order.get("source") or {}
        assert "eventID" in source, "the output lacks its source eventID: consumers cannot drop copies"
        shard, number = source["eventID"].split(":")
        assert source == {"eventID": f"{shard}:{number}", "shardId": shard, "sequenceNumber": number}
    letters = dead_letters_of(kinesis, sinks.dead_letter, run_id)
    assert len(letters) == len(BAD_INPUTS), \
        f"bad records were dropped without a dead letter: {len(letters)} of {len(BAD_INPUTS)} dead-lettered"
    by_key = {letter["partitionKey"]: letter for letter in letters}
    for i, (data, reason) in enumerate(BAD_INPUTS):
        letter = by_key[f"{run_id}-bad-{i}"]
        assert reason in letter["reason"], letter["reason"]
        assert original(letter) == data, "the dead letter keeps the original bytes"
    assert poller.stats.failed_invocations == 0
    assert poller.stats.delivered == len(entries)


def test_a_poison_record_is_isolated_by_reported_failures_and_bisect_then_sent_to_the_destination(
        kinesis: Any, function: LambdaEmulator, sinks: Sinks, make_stream: Callable[..., str],
        faults: FaultyKinesis, run_id: str, tmp_path: Path) -> None:
    """Its output is refused every time. ReportBatchItemFailures checkpoints the records before it in
    the first invocation; bisect then halves the rest until it is alone; after MaximumRetryAttempts it
    goes to the on-failure destination, and every other record flows. Bad records precede it in the
    batch, so a failure reported by the wrong position names the wrong record."""
    stream, failure_stream = make_stream("in"), make_stream("onfailure")
    good = [order_entry(o) for o in orders(40, run=run_id, customers=5)]
    poison_id = f"{run_id}-000020"
    faults.refuse(f'"order_id": "{poison_id}"'.encode())
    entries = good[:10] + bad_entries(run_id)[:3] + good[10:]
    put_input(kinesis, stream, entries)
    sequence_numbers = [r["SequenceNumber"] for r in streams.read_stream(kinesis, stream)]
    poison_sequence_number = sequence_numbers[entries.index(good[20])]
    settings = mapping_settings(maximum_batching_window_s=0, maximum_retry_attempts=6)
    assert settings.report_batch_item_failures, "as the template"
    assert settings.bisect_batch_on_function_error, "as the template"
    poller = poller_for(kinesis, stream, function, tmp_path, settings, failure_stream)

    poller.run_once()
    assert poller.checkpoint(SHARD0) == sequence_numbers[entries.index(good[19])], \
        "with ReportBatchItemFailures the checkpoint stops just before the poison record"
    poller.run_until(lambda: poller.checkpoint(SHARD0) == sequence_numbers[-1], timeout_s=60)

    failures = failures_in(kinesis, failure_stream)
    assert len(failures) == 1, "the poison record vanished instead of reaching the on-failure destination"
    info = failures[0]["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == \
        (poison_sequence_number, poison_sequence_number, 1), "exactly the poison record is given up"
    assert failures[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    kept = streams.deduplicated(outputs_of(kinesis, sinks.output, run_id))
    assert sorted(o["order_id"] for o in kept) == sorted(f"{run_id}-{i:06d}" for i in range(40) if i != 20)
    assert streams.out_of_order(kept) == {}
    assert len(dead_letters_of(kinesis, sinks.dead_letter, run_id)) == 3


def test_bisect_isolates_a_poison_record_when_the_function_fails_the_whole_batch(
        kinesis: Any, strict_function: LambdaEmulator, sinks: Sinks, make_stream: Callable[..., str],
        faults: FaultyKinesis, run_id: str, tmp_path: Path) -> None:
    """Without ReportBatchItemFailures the mapping ignores a returned list, so the function must fail
    the invocation; BisectBatchOnFunctionError then finds the poison record by halving."""
    stream, failure_stream = make_stream("in"), make_stream("onfailure")
    good = [order_entry(o) for o in orders(16, run=run_id, customers=4)]
    faults.refuse(f'"order_id": "{run_id}-000005"'.encode())
    put_input(kinesis, stream, good)
    sequence_numbers = [r["SequenceNumber"] for r in streams.read_stream(kinesis, stream)]
    settings = mapping_settings(maximum_batching_window_s=0, report_batch_item_failures=False,
                                maximum_retry_attempts=8)
    poller = poller_for(kinesis, stream, strict_function, tmp_path, settings, failure_stream)

    poller.run_until(lambda: poller.checkpoint(SHARD0) == sequence_numbers[-1], timeout_s=60)

    failures = failures_in(kinesis, failure_stream)
    assert len(failures) == 1, "the poison record was lost: the function reported success for a batch " \
                               "it did not deliver, and the mapping checkpointed past it"
    info = failures[0]["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["batchSize"]) == (sequence_numbers[5], 1)
    kept = streams.deduplicated(outputs_of(kinesis, sinks.output, run_id))
    assert sorted(o["order_id"] for o in kept) == sorted(f"{run_id}-{i:06d}" for i in range(16) if i != 5)


def test_a_function_timeout_is_a_failed_batch_and_the_batch_is_delivered_again(
        kinesis: Any, strict_function: LambdaEmulator, sinks: Sinks, make_stream: Callable[..., str],
        faults: FaultyKinesis, run_id: str, tmp_path: Path) -> None:
    stream = make_stream("in")
    good = [order_entry(o) for o in orders(10, run=run_id, customers=3)]
    held = faults.delay(f'"order_id": "{run_id}-000000"'.encode(), seconds=STRICT_TIMEOUT_S + 2)
    last = put_input(kinesis, stream, good)
    # Retries without limit: a timeout resets the runtime, and a slow cold start may time out too.
    poller = poller_for(kinesis, stream, strict_function, tmp_path,
                        mapping_settings(maximum_batching_window_s=0, maximum_retry_attempts=-1))

    poller.run_once()
    assert held.started.is_set(), "the function reached its output write"
    assert poller.stats.failed_invocations == 1, "a timed-out invocation is a failed batch"
    assert poller.checkpoint(SHARD0) is None, "and the checkpoint does not move"
    poller.run_until(lambda: caught_up(poller, last), timeout_s=60)

    kept = streams.deduplicated(outputs_of(kinesis, sinks.output, run_id))
    assert sorted(o["order_id"] for o in kept) == sorted(f"{run_id}-{i:06d}" for i in range(10))
    assert streams.out_of_order(kept) == {}


def test_a_split_shard_mid_stream_keeps_each_customers_order(
        kinesis: Any, function: LambdaEmulator, sinks: Sinks, make_stream: Callable[..., str],
        faults: FaultyKinesis, run_id: str, tmp_path: Path) -> None:
    stream = make_stream("in")
    batch = [order_entry(o) for o in orders(120, run=run_id, customers=8)]
    last = put_input(kinesis, stream, batch[:60])
    poller = poller_for(kinesis, stream, function, tmp_path,
                        mapping_settings(maximum_batching_window_s=0, batch_size=20))
    poller.run_once()  # one batch of the parent read: the rest of it waits while the stream reshards
    parent = streams.list_shards(kinesis, stream)[0]
    low, high = int(parent["HashKeyRange"]["StartingHashKey"]), int(parent["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"],
                        NewStartingHashKey=str((low + high) // 2))
    streams.wait_active(kinesis, stream)
    last.update(put_input(kinesis, stream, batch[60:]))
    assert len(last) == 3, "the second half went to the two children"

    poller.run_until(lambda: caught_up(poller, last), timeout_s=60)

    out = outputs_of(kinesis, sinks.output, run_id)
    assert sorted(o["order_id"] for o in out) == sorted(f"{run_id}-{i:06d}" for i in range(120))
    assert streams.out_of_order(out) == {}, "a child shard was read before its parent was finished"
