"""PutRecords with partial failures, against kinesis-local behind the fault-injecting proxy."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bootcamp.testing.plugin import Implementation
from exercises.ex04_kinesis_lambda import streams
from exercises.ex04_kinesis_lambda.generator import entry, orders, publish
from exercises.ex04_kinesis_lambda.tests.faults import FaultyKinesis

pytestmark = pytest.mark.integration


@pytest.fixture
def client(faults: FaultyKinesis) -> Any:
    """A client that talks to Kinesis through the proxy (so the test can refuse entries)."""
    return boto3.session.Session().client("kinesis", endpoint_url=faults.url,
                                          config=Config(retries={"max_attempts": 1}))


def stored(kinesis: Any, stream: str) -> list[bytes]:
    return [r["Data"] for r in streams.read_stream(kinesis, stream)]


def entries_of(count: int, run: str) -> list[dict[str, Any]]:
    return [entry(o) for o in orders(count, run=run, customers=4)]


def test_accepted_entries_are_written_once_in_one_call(
        impl: Implementation, kinesis: Any, client: Any, faults: FaultyKinesis,
        make_stream: Callable[..., str], run_id: str) -> None:
    stream = make_stream("put")
    entries = entries_of(10, run_id)
    assert impl.put_records.put_records(client, stream, entries) == []
    assert len(faults.puts) == 1
    assert stored(kinesis, stream) == [e["Data"] for e in entries]


def test_only_the_refused_entries_are_sent_again_with_growing_pauses(
        impl: Implementation, kinesis: Any, client: Any, faults: FaultyKinesis,
        make_stream: Callable[..., str], run_id: str) -> None:
    stream = make_stream("put")
    entries = entries_of(10, run_id)
    refused = [entries[3]["Data"], entries[7]["Data"]]
    for data in refused:
        faults.refuse(b'"order_id": "' + json.loads(data)["order_id"].encode() + b'"', times=2)
    pauses: list[float] = []

    left = impl.put_records.put_records(client, stream, entries, attempts=5, base_delay_s=0.01,
                                        sleep=pauses.append)

    assert left == [], "the refused entries were given up although a retry would have written them"
    assert len(faults.puts) == 3, f"{len(faults.puts)} PutRecords calls, not 3 (1 + 2 retries)"
    assert faults.puts[1:] == [refused, refused], \
        "the retry resent entries Kinesis had accepted: only the refused ones may go again"
    assert sorted(stored(kinesis, stream)) == sorted(e["Data"] for e in entries), \
        "every entry is in the stream exactly once"
    assert len(pauses) == 2, "a pause before each retry"
    assert 0 <= pauses[0] <= 0.01, f"exponential backoff from 10 ms: {pauses}"
    assert 0 <= pauses[1] <= 0.02, f"exponential backoff from 10 ms: {pauses}"


def test_entries_refused_every_time_are_returned_not_dropped(
        impl: Implementation, kinesis: Any, client: Any, faults: FaultyKinesis,
        make_stream: Callable[..., str], run_id: str) -> None:
    stream = make_stream("put")
    entries = entries_of(6, run_id)
    faults.refuse(f'"order_id": "{run_id}-000004"'.encode())

    left = impl.put_records.put_records(client, stream, entries, attempts=3, base_delay_s=0,
                                        sleep=lambda _: None)

    assert left == [4], f"the refused entries were dropped: put_records returned {left}, not [4]"
    assert len(faults.puts) == 3, "exactly `attempts` calls"
    assert len(stored(kinesis, stream)) == 5
    with pytest.raises(RuntimeError, match="1 of 6 records not accepted"):
        publish(client, stream, entries, impl.put_records.put_records)


def test_more_entries_than_one_call_takes_are_sent_in_chunks_of_500(
        impl: Implementation, kinesis: Any, client: Any, faults: FaultyKinesis,
        make_stream: Callable[..., str], run_id: str) -> None:
    stream = make_stream("put")
    entries = entries_of(600, run_id)
    assert impl.put_records.put_records(client, stream, entries) == []
    assert [len(p) for p in faults.puts] == [500, 100], "PutRecords takes at most 500 entries"
    assert len(stored(kinesis, stream)) == 600
