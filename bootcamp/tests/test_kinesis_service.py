"""The local Kinesis service against the real kinesis-local server: lifecycle, binding, and the API
behaviours the AWS track teaches (sequence numbers, shards and reshards, iterators, record limits).

One server is shared by the session (the plugin's `local_service`); every test makes its own stream,
so the tests do not depend on each other or on what an earlier run persisted.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from bootcamp.services import all_services
from bootcamp.services.base import free_port, pid_alive
from bootcamp.services.kinesis import DUMMY_CREDENTIALS, KinesisService

ONE_MIB = 1024 * 1024


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KinesisService]:
    """A Kinesis service with its own state directory and port, whatever else is running."""
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("AWS_ENDPOINT_URL_KINESIS", raising=False)
    monkeypatch.setenv("BOOTCAMP_KINESIS_PORT", str(free_port()))
    service = KinesisService()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def kinesis(local_service: Callable[[str], str]) -> Any:
    """A boto3 client on the shared server, configured only by the environment the service exports."""
    local_service("kinesis")
    return boto3.session.Session().client("kinesis")


@pytest.fixture
def stream(kinesis: Any) -> Iterator[str]:
    """A fresh ACTIVE two-shard stream, deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)
    yield name
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def wait_active(kinesis: Any, name: str) -> None:
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp{,6} shows them) of sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_kinesis_is_discovered() -> None:
    assert "kinesis" in all_services()


def test_start_reuse_loopback_only_and_stop_by_group(isolated: KinesisService) -> None:
    endpoint = isolated.start()
    assert endpoint.startswith("http://127.0.0.1:")
    status = isolated.status()
    assert status.state == "running"
    assert status.pid is not None
    assert os.getpgid(status.pid) == status.pid, "the server leads its own process group"
    assert isolated.start() == endpoint, "a running server is reused"
    assert isolated.status().pid == status.pid

    argv = Path(f"/proc/{status.pid}/cmdline").read_bytes().split(b"\0")
    plain_port, tls_port = int(argv[3]), int(argv[4])
    assert plain_port == int(endpoint.rsplit(":", 1)[1])
    for port in (plain_port, tls_port):
        # 0100007F is 127.0.0.1 in /proc's byte order; 00000000 (0.0.0.0) or :: would be every interface
        assert listening_addresses(port) == {"0100007F"}, f"port {port} must listen on 127.0.0.1 only"

    pid = status.pid
    assert isolated.stop() is True
    assert not pid_alive(pid)
    assert isolated.status().state == "stopped"
    assert isolated.stop() is False, "stopping twice is harmless"


def test_env_for_adds_dummy_credentials_only_when_none_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    service = KinesisService()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    bare = service.env_for("http://127.0.0.1:1")
    assert bare == {"AWS_ENDPOINT_URL_KINESIS": "http://127.0.0.1:1", **DUMMY_CREDENTIALS,
                    "AWS_DEFAULT_REGION": "us-east-1"}

    monkeypatch.setenv("AWS_PROFILE", "mine")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert service.env_for("http://127.0.0.1:1") == {"AWS_ENDPOINT_URL_KINESIS": "http://127.0.0.1:1"}, \
        "real credentials and region are never overridden"


def test_a_new_stream_is_creating_then_active(kinesis: Any) -> None:
    name = f"test-{uuid.uuid4().hex[:12]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    first = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
    assert first == "CREATING", "a stream is not usable at once: clients must wait for ACTIVE"
    wait_active(kinesis, name)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 1
    assert summary["StreamARN"] == f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}"
    kinesis.delete_stream(StreamName=name)


def test_put_records_then_get_records_round_trip(kinesis: Any, stream: str) -> None:
    entries = [{"Data": f"event-{i}".encode(), "PartitionKey": "user-1"} for i in range(5)]
    put = kinesis.put_records(StreamName=stream, Records=entries)
    assert put["FailedRecordCount"] == 0
    shards = {r["ShardId"] for r in put["Records"]}
    assert len(shards) == 1, "one partition key maps to one shard"
    sequence_numbers = [r["SequenceNumber"] for r in put["Records"]]
    assert all(len(s) == 56 and s.isdigit() for s in sequence_numbers), sequence_numbers
    assert [int(s) for s in sequence_numbers] == sorted(int(s) for s in sequence_numbers)
    assert len(set(sequence_numbers)) == 5

    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shards.pop(),
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = kinesis.get_records(ShardIterator=iterator, Limit=100)
    assert [r["Data"] for r in got["Records"]] == [e["Data"] for e in entries], "order within a shard is kept"
    assert [r["SequenceNumber"] for r in got["Records"]] == sequence_numbers
    assert {r["PartitionKey"] for r in got["Records"]} == {"user-1"}
    assert all(isinstance(r["ApproximateArrivalTimestamp"], datetime) for r in got["Records"])
    assert got["NextShardIterator"]
    assert got["MillisBehindLatest"] == 0


def test_list_shards_and_split_shard_give_children_with_their_parent(kinesis: Any, stream: str) -> None:
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    assert len(shards) == 2
    parent = shards[0]
    low = int(parent["HashKeyRange"]["StartingHashKey"])
    high = int(parent["HashKeyRange"]["EndingHashKey"])
    middle = (low + high) // 2

    kinesis.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"], NewStartingHashKey=str(middle))
    wait_active(kinesis, stream)

    after = {s["ShardId"]: s for s in kinesis.list_shards(StreamName=stream)["Shards"]}
    assert len(after) == 4, "the closed parent stays listed beside its two children"
    assert "EndingSequenceNumber" in after[parent["ShardId"]]["SequenceNumberRange"], "the parent is closed"
    children = [s for s in after.values() if s.get("ParentShardId") == parent["ShardId"]]
    assert len(children) == 2
    ranges = sorted((int(c["HashKeyRange"]["StartingHashKey"]), int(c["HashKeyRange"]["EndingHashKey"]))
                    for c in children)
    assert ranges == [(low, middle - 1), (middle, high)], "the children split the parent's hash range"


def test_at_timestamp_iterator_starts_at_the_first_record_at_or_after_it(kinesis: Any, stream: str) -> None:
    def put(data: bytes) -> str:
        record = kinesis.put_record(StreamName=stream, Data=data, PartitionKey="k")
        shard: str = record["ShardId"]
        return shard

    shard = put(b"before")
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    [before] = kinesis.get_records(ShardIterator=iterator)["Records"]
    cut = before["ApproximateArrivalTimestamp"] + timedelta(milliseconds=5)
    while datetime.now(UTC) <= cut + timedelta(milliseconds=5):  # the next put must arrive after the cut
        time.sleep(0.005)
    put(b"after-1")
    put(b"after-2")

    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="AT_TIMESTAMP",
                                          Timestamp=cut)["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [r["Data"] for r in records] == [b"after-1", b"after-2"]


def test_a_record_over_1_mib_is_rejected(kinesis: Any, stream: str) -> None:
    """kinesis-mock counts the data blob only; AWS also counts the partition key (see the module)."""
    at_limit = kinesis.put_record(StreamName=stream, Data=b"x" * ONE_MIB, PartitionKey="k")
    assert at_limit["SequenceNumber"], "1 MiB of data is accepted"
    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName=stream, Data=b"x" * (ONE_MIB + 1), PartitionKey="k")
    assert raised.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "exceeds" in raised.value.response["Error"]["Message"]
