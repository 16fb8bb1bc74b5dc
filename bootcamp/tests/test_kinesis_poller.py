"""The local event source mapping against the real kinesis-local server.

Each test has its own stream and checkpoint file; the function is a plain Python callable whose
failures are injected by content (a poison record), so every outcome is deterministic.
"""

from __future__ import annotations

import base64
import json
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bootcamp.aws.kinesis_poller import (
    Event,
    KinesisPoller,
    MappingSettings,
    settings_from_template,
    slot_of,
)
from bootcamp.errors import BootcampError

POISON = b"poison"


@pytest.fixture(scope="module")
def kinesis(local_service: Callable[[str], str]) -> Any:
    local_service("kinesis")
    return boto3.session.Session().client("kinesis")


def make_stream(kinesis: Any, shards: int = 1) -> str:
    name = f"poller-{uuid.uuid4().hex[:12]}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    wait_active(kinesis, name)
    return name


def wait_active(kinesis: Any, name: str) -> None:
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})


@pytest.fixture
def stream(kinesis: Any) -> Iterator[str]:
    name = make_stream(kinesis)
    yield name
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


def put(kinesis: Any, stream: str, values: list[bytes], key: str = "k") -> list[str]:
    records = [{"Data": v, "PartitionKey": key} for v in values]
    response = kinesis.put_records(StreamName=stream, Records=records)
    assert response["FailedRecordCount"] == 0
    return [r["SequenceNumber"] for r in response["Records"]]


def payloads(event: Event) -> list[bytes]:
    return [base64.b64decode(r["kinesis"]["data"]) for r in event["Records"]]


class Recorder:
    """A function that records every batch it sees and fails on the poison record."""

    def __init__(self, report_failures: bool = False) -> None:
        self.batches: list[list[bytes]] = []
        self.report_failures = report_failures

    def __call__(self, event: Event) -> dict[str, Any]:
        self.batches.append(payloads(event))
        poisoned = [r["kinesis"]["sequenceNumber"] for r in event["Records"]
                    if base64.b64decode(r["kinesis"]["data"]) == POISON]
        if poisoned and not self.report_failures:
            raise RuntimeError("poison record")
        return {"batchItemFailures": [{"itemIdentifier": s} for s in poisoned]}


def test_settings_come_from_the_sam_template(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Input:
            Type: AWS::Kinesis::Stream
            Properties: {ShardCount: 1}
          Enrich:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Events:
                Stream:
                  Type: Kinesis
                  Properties:
                    Stream: !GetAtt Input.Arn
                    StartingPosition: TRIM_HORIZON
                    BatchSize: 25
                    MaximumBatchingWindowInSeconds: 2
                    FunctionResponseTypes: [ReportBatchItemFailures]
                    BisectBatchOnFunctionError: true
                    MaximumRetryAttempts: 3
                    MaximumRecordAgeInSeconds: 3600
                    ParallelizationFactor: 2
        """))
    assert settings_from_template(template) == MappingSettings(
        stream="{'Fn::GetAtt': ['Input', 'Arn']}", batch_size=25, maximum_batching_window_s=2.0,
        starting_position="TRIM_HORIZON", report_batch_item_failures=True,
        bisect_batch_on_function_error=True, maximum_retry_attempts=3, maximum_record_age_s=3600,
        parallelization_factor=2)
    assert MappingSettings.from_properties({"StartingPosition": "LATEST"}) == MappingSettings(
        starting_position="LATEST"), "AWS's defaults: 100, 0 s, no RBIF, no bisect, -1, -1, 1"
    with pytest.raises(BootcampError, match="BatchSize 0"):
        MappingSettings.from_properties({"StartingPosition": "LATEST", "BatchSize": 0})
    with pytest.raises(BootcampError, match="0 Kinesis events"):
        settings_from_template(template, function="Other")


def test_batches_are_in_order_with_the_lambda_event_shape_and_checkpointed(
        kinesis: Any, stream: str, tmp_path: Path) -> None:
    values = [f"v{i}".encode() for i in range(5)]
    sequence_numbers = put(kinesis, stream, values)
    recorder = Recorder()
    checkpoints = tmp_path / "checkpoints.json"
    poller = KinesisPoller(kinesis, stream, MappingSettings(batch_size=2), recorder, checkpoints)
    seen: list[Event] = []

    def invoke(event: Event) -> Any:
        seen.append(event)
        return recorder(event)

    poller.invoke = invoke
    poller.run_until(lambda: poller.stats.delivered == 5, timeout_s=30)
    assert recorder.batches == [values[0:2], values[2:4], values[4:5]], "one in-order batch at a time"

    first = seen[0]["Records"][0]
    shard = "shardId-000000000000"
    assert first["eventSource"] == "aws:kinesis"
    assert first["eventName"] == "aws:kinesis:record"
    assert first["eventID"] == f"{shard}:{sequence_numbers[0]}"
    assert first["eventSourceARN"] == poller.stream_arn
    assert first["awsRegion"] == "us-east-1"
    assert first["kinesis"]["partitionKey"] == "k"
    assert first["kinesis"]["sequenceNumber"] == sequence_numbers[0]
    assert first["kinesis"]["data"] == base64.b64encode(b"v0").decode()
    assert isinstance(first["kinesis"]["approximateArrivalTimestamp"], float)

    assert poller.checkpoint(shard) == sequence_numbers[-1], "checkpoint at the highest sequence number"
    saved = json.loads(checkpoints.read_text())
    assert saved["checkpoints"] == {shard: sequence_numbers[-1]}


def test_report_batch_item_failures_checkpoints_before_the_lowest_failure(
        kinesis: Any, stream: str, tmp_path: Path) -> None:
    values = [b"a", b"b", POISON, b"c"]
    sequence_numbers = put(kinesis, stream, values)
    recorder = Recorder(report_failures=True)
    failures: list[dict[str, Any]] = []
    settings = MappingSettings(batch_size=10, report_batch_item_failures=True, maximum_retry_attempts=1)
    poller = KinesisPoller(kinesis, stream, settings, recorder, tmp_path / "cp.json",
                           on_failure=failures.append)

    poller.run_once()
    assert recorder.batches == [values]
    assert poller.checkpoint("shardId-000000000000") == sequence_numbers[1], \
        "the checkpoint moved past the records before the failed one, and no further"
    poller.run_until(lambda: bool(failures), timeout_s=30)
    assert recorder.batches[1] == [POISON, b"c"], "delivery resumes at the lowest failed record"
    info = failures[0]["KinesisBatchInfo"]
    assert failures[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["startSequenceNumber"] == sequence_numbers[2]
    assert info["endSequenceNumber"] == sequence_numbers[3]
    assert info["batchSize"] == 2
    assert info["streamArn"] == poller.stream_arn


def test_bisect_isolates_the_poison_record_and_the_rest_flow(
        kinesis: Any, stream: str, tmp_path: Path) -> None:
    values = [b"a", b"b", POISON, b"c"]
    sequence_numbers = put(kinesis, stream, values)
    recorder = Recorder()
    failures: list[dict[str, Any]] = []
    settings = MappingSettings(batch_size=4, bisect_batch_on_function_error=True, maximum_retry_attempts=2)
    poller = KinesisPoller(kinesis, stream, settings, recorder, tmp_path / "cp.json",
                           on_failure=failures.append)
    poller.run_until(lambda: poller.checkpoint("shardId-000000000000") == sequence_numbers[-1], timeout_s=30)

    # halves until the poison is alone; after [a, b] succeeded it has 1 attempt + 2 retries, then is skipped
    assert recorder.batches == [values, [b"a", b"b"], [POISON, b"c"], [POISON], [POISON], [b"c"]]
    assert len(failures) == 1
    assert failures[0]["KinesisBatchInfo"]["batchSize"] == 1, "only the poison record is given up"
    assert failures[0]["KinesisBatchInfo"]["startSequenceNumber"] == sequence_numbers[2]
    assert poller.stats.delivered == 3
    assert poller.stats.skipped == 1


class Killed(BaseException):
    """Stands for the poller's process dying mid-invocation (not an error the poller handles)."""


def test_a_restarted_poller_redelivers_the_unfinished_batch(
        kinesis: Any, stream: str, tmp_path: Path) -> None:
    values = [f"v{i}".encode() for i in range(4)]
    sequence_numbers = put(kinesis, stream, values)
    checkpoints = tmp_path / "cp.json"
    batches: list[list[bytes]] = []

    def dies_on_second_batch(event: Event) -> None:
        batches.append(payloads(event))
        if len(batches) == 2:
            raise Killed

    first = KinesisPoller(kinesis, stream, MappingSettings(batch_size=2), dies_on_second_batch, checkpoints)
    with pytest.raises(Killed):
        first.run_until(lambda: False, timeout_s=30)
    assert json.loads(checkpoints.read_text())["checkpoints"] == {"shardId-000000000000": sequence_numbers[1]}

    second_batches: list[list[bytes]] = []
    second = KinesisPoller(kinesis, stream, MappingSettings(batch_size=2),
                           lambda event: second_batches.append(payloads(event)), checkpoints)
    second.run_until(lambda: second.stats.delivered == 2, timeout_s=30)
    assert second_batches == [values[2:4]], "the unfinished batch is delivered again, nothing before it"


def test_children_are_read_only_after_their_parent(kinesis: Any, stream: str, tmp_path: Path) -> None:
    before = [f"before-{i}".encode() for i in range(3)]
    put(kinesis, stream, before)
    [parent] = kinesis.list_shards(StreamName=stream)["Shards"]
    low = int(parent["HashKeyRange"]["StartingHashKey"])
    high = int(parent["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"],
                        NewStartingHashKey=str((low + high) // 2))
    wait_active(kinesis, stream)
    after = [f"after-{i}".encode() for i in range(3)]
    put(kinesis, stream, after)

    order: list[tuple[str, bytes]] = []

    def invoke(event: Event) -> None:
        order.extend((r["eventID"].split(":")[0], base64.b64decode(r["kinesis"]["data"]))
                     for r in event["Records"])

    poller = KinesisPoller(kinesis, stream, MappingSettings(batch_size=2), invoke, tmp_path / "cp.json")
    poller.run_until(lambda: len(order) == 6, timeout_s=30)
    assert [data for _, data in order] == before + after, "one key keeps its order across the split"
    assert {shard for shard, _ in order[:3]} == {parent["ShardId"]}
    assert parent["ShardId"] not in {shard for shard, _ in order[3:]}


# -- ParallelizationFactor > 1 -------------------------------------------------------------------
def two_keys_in_two_slots(factor: int = 2) -> tuple[str, str]:
    keys = [f"key-{i}" for i in range(50)]
    first = next(k for k in keys if slot_of(k, factor) == 0)
    second = next(k for k in keys if slot_of(k, factor) == 1)
    return first, second


class BlocksOneKey:
    """A function that holds the first batch of partition key `blocked` until `release` is set.

    Its other batches, of any key, return at once; every record seen is kept per key, in call order.
    """

    def __init__(self, blocked: str) -> None:
        self.blocked = blocked
        self.started = threading.Event()
        self.release = threading.Event()
        self.seen: dict[str, list[bytes]] = {}
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        keys = {r["kinesis"]["partitionKey"] for r in event["Records"]}
        assert len(keys) == 1 or self.blocked not in keys, "two keys of different slots in one batch"
        if self.blocked in keys and not self.started.is_set():
            self.started.set()
            assert self.release.wait(30), "the test never released the blocked batch"
        with self.lock:
            for record in event["Records"]:
                key = record["kinesis"]["partitionKey"]
                self.seen.setdefault(key, []).append(base64.b64decode(record["kinesis"]["data"]))


def put_interleaved(kinesis: Any, stream: str, first: str, second: str, count: int) -> list[str]:
    """second-0, first-0, second-1, first-1, ...: the two keys alternate, the second key first."""
    records = []
    for i in range(count):
        records += [{"Data": f"{second}-{i}".encode(), "PartitionKey": second},
                    {"Data": f"{first}-{i}".encode(), "PartitionKey": first}]
    response = kinesis.put_records(StreamName=stream, Records=records)
    assert response["FailedRecordCount"] == 0
    return [r["SequenceNumber"] for r in response["Records"]]


def blocked_until_the_other_key_is_done(kinesis: Any, stream: str, checkpoints: Path,
                                        settings: MappingSettings) -> tuple[
                                            KinesisPoller, BlocksOneKey, str, str, list[str]]:
    """Run a factor-2 poller until key `second` is all delivered while `first`'s batch is held."""
    first, second = two_keys_in_two_slots()
    sequence_numbers = put_interleaved(kinesis, stream, first, second, 3)
    function = BlocksOneKey(blocked=first)
    poller = KinesisPoller(kinesis, stream, settings, function, checkpoints)
    poller.run_until(lambda: poller.stats.delivered == 3, timeout_s=30)
    assert function.started.is_set(), "the first key's batch was never invoked"
    assert not function.release.is_set()
    assert function.seen == {second: [f"{second}-{i}".encode() for i in range(3)]}, \
        "the other key's batches of the same shard went on while the first key's batch was held"
    return poller, function, first, second, sequence_numbers


def test_parallelization_factor_runs_keys_concurrently_and_checkpoints_below_the_slowest(
        kinesis: Any, stream: str, tmp_path: Path) -> None:
    settings = MappingSettings(batch_size=2, parallelization_factor=2)
    poller, function, first, _, sequence_numbers = blocked_until_the_other_key_is_done(
        kinesis, stream, tmp_path / "cp.json", settings)
    shard = "shardId-000000000000"
    # the stream holds second-0, first-0, second-1, ...: first-0 is unfinished, so nothing past it
    assert poller.checkpoint(shard) == sequence_numbers[0], \
        "the shard's checkpoint passed a record that a slot has not finished"
    assert json.loads((tmp_path / "cp.json").read_text())["checkpoints"] == {shard: sequence_numbers[0]}

    function.release.set()
    poller.run_until(lambda: poller.stats.delivered == 6, timeout_s=30)
    poller.close()
    assert function.seen[first] == [f"{first}-{i}".encode() for i in range(3)], "order per key"
    assert poller.checkpoint(shard) == sequence_numbers[-1]
    assert poller.stats.invocations >= 3


def test_parallel_slots_killed_mid_way_lose_nothing(kinesis: Any, stream: str, tmp_path: Path) -> None:
    checkpoints = tmp_path / "cp.json"
    settings = MappingSettings(batch_size=2, parallelization_factor=2)
    poller, function, first, second, sequence_numbers = blocked_until_the_other_key_is_done(
        kinesis, stream, checkpoints, settings)
    poller.close()  # the process dies here: its held batch never completes as far as it knows
    function.release.set()
    assert json.loads(checkpoints.read_text())["checkpoints"] == {"shardId-000000000000": sequence_numbers[0]}

    seen: dict[str, list[bytes]] = {}
    lock = threading.Lock()

    def records(event: Event) -> None:
        with lock:
            for record in event["Records"]:
                seen.setdefault(record["kinesis"]["partitionKey"], []).append(
                    base64.b64decode(record["kinesis"]["data"]))

    second_poller = KinesisPoller(kinesis, stream, settings, records, checkpoints)
    second_poller.run_until(lambda: second_poller.stats.delivered == 5, timeout_s=30)
    second_poller.close()
    assert seen == {first: [f"{first}-{i}".encode() for i in range(3)],
                    second: [f"{second}-{i}".encode() for i in (1, 2)]}, \
        "everything after the checkpoint again, in order per key (at-least-once: second-1, -2 twice)"


def test_parallel_slots_report_failures_and_retry_each_on_its_own(
        kinesis: Any, stream: str, tmp_path: Path) -> None:
    first, second = two_keys_in_two_slots()
    put(kinesis, stream, [b"a", POISON, b"b"], key=first)
    put(kinesis, stream, [b"x", b"y", b"z"], key=second)
    recorder = Recorder(report_failures=True)
    failures: list[dict[str, Any]] = []
    settings = MappingSettings(batch_size=10, report_batch_item_failures=True, maximum_retry_attempts=1,
                               parallelization_factor=2)
    poller = KinesisPoller(kinesis, stream, settings, recorder, tmp_path / "cp.json",
                           on_failure=failures.append)
    poller.run_until(lambda: poller.stats.delivered + poller.stats.skipped == 6, timeout_s=30)
    poller.close()
    assert [b"x", b"y", b"z"] in recorder.batches, "the other slot's batch is whole and untouched"
    poisoned = [batch for batch in recorder.batches if POISON in batch]
    assert poisoned == [[b"a", POISON, b"b"], [POISON, b"b"], [POISON, b"b"]], \
        "the failing slot resumes at its lowest failure and retries on its own"
    assert [f["KinesisBatchInfo"]["batchSize"] for f in failures] == [2]
    assert poller.stats.skipped == 2
