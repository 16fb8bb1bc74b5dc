"""A local Lambda event source mapping for Kinesis: what AWS runs between a stream and a function.

On AWS the mapping, not the function, owns the reading: it polls each shard, hands the function one
batch per shard at a time (per slot of a shard with a ParallelizationFactor) in sequence-number
order, and moves its checkpoint only when the batch is done. That is where at-least-once delivery
comes from, so the course reproduces it instead of calling the handler in a loop. Its settings come
from the SAM template (`Events: {Type: Kinesis, Properties}`) with AWS's defaults for what the
template leaves out:

- `BatchSize` (100) records at most per invocation; `MaximumBatchingWindowInSeconds` (0) keeps
  reading up to that long to fill a batch before invoking.
- `StartingPosition` (TRIM_HORIZON, LATEST or AT_TIMESTAMP with `StartingPositionTimestamp`) is used
  only for a shard with no checkpoint.
- Success moves the checkpoint to the batch's highest sequence number. With
  `FunctionResponseTypes: [ReportBatchItemFailures]` the function may return
  `{"batchItemFailures": [{"itemIdentifier": <sequence number>}]}`: the checkpoint moves to just
  before the lowest failed record and delivery resumes there (an empty or absent list is success; a
  null or empty `itemIdentifier` or a wrong key name fails the whole batch, as AWS documents; an
  identifier that is not in the batch is treated the same here, a conservative choice).
- A failed batch is retried; with `BisectBatchOnFunctionError` it is split in two first (and again,
  down to one record), so a poison record ends up alone. `MaximumRetryAttempts` (-1: until the
  records expire) bounds the retries (counted from the last batch that made progress, so each
  bisected half that succeeds gives the rest a fresh budget) and `MaximumRecordAgeInSeconds`
  (-1: never) drops records that are too old before invoking; in both cases the records are
  skipped and `on_failure` receives the batch's metadata in the shape AWS sends to an on-failure
  destination (`KinesisBatchInfo`).
- A function that raises NotImplementedError (the emulator's FunctionNotImplemented: a learner's
  stub) stops the poller at once instead of failing the batch, so a check reports "not implemented
  yet" rather than retrying until a timeout.
- `kinesis_stream_destination` is an on-failure destination on kinesis-local (AWS takes an SQS
  queue, an SNS topic or an S3 bucket; no local SQS is installed here).
- Checkpoints live in a JSON file written by atomic rename, so killing the poller mid-batch loses
  nothing: the next poller re-delivers the unfinished batch (at-least-once, never at-most-once).
- After a reshard a child shard is read only once its parent (and adjacent parent, for a merge) has
  been read to its end, so per-key order holds across a reshard (tested with SplitShard; a merge's
  child waits for both parents by the same rule, untested).
- `ParallelizationFactor` N > 1 (up to 10) gives each shard N concurrent slots, as on AWS: each record
  goes to the slot `slot_of(partition key, N)` (an MD5 of the key; AWS's own hash is not documented,
  only that one key always takes the same slot), each slot has its own in-order batches, bisection
  and retry count, and up to N batches of one shard are in flight at once, each in its own thread
  (a thread pool of N per shard). Order therefore holds per partition key, not per shard. The
  checkpoint stays one sequence number per shard (the file format is the factor 1 one): it moves
  to the end of the run of records, in shard order, that every slot has finished, so the lowest
  unfinished sequence number across slots bounds it and a restart re-delivers every record past
  it (those another slot had finished too: at-least-once). Only the caller's thread reads the
  stream and writes checkpoints; the slots' threads only call the function. With factor 1 none of
  this runs: one batch per shard at a time, exactly as before. With N > 1 `invoke` must be safe to
  call from N threads at once; `LambdaEmulator.invoke` is, but it serialises the calls (one Runtime
  Interface Emulator takes one invocation at a time), so real concurrency needs one emulator per
  slot behind the callable. `MaximumBatchingWindowInSeconds` applies to the shard's reads, not per
  slot; reading stops while the slots hold N x `BatchSize` records not yet done.

Not reproduced: tumbling windows and filter criteria.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bootcamp.errors import BootcampError

Event = dict[str, Any]
Invoke = Callable[[Event], Any]
OnFailure = Callable[[dict[str, Any]], None]

STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


@dataclass(frozen=True)
class MappingSettings:
    """The event source mapping's settings, with AWS's defaults for the ones a template omits."""

    stream: str = ""
    batch_size: int = 100
    maximum_batching_window_s: float = 0.0
    starting_position: str = "TRIM_HORIZON"
    starting_position_timestamp: datetime | None = None
    report_batch_item_failures: bool = False
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_s: int = -1
    parallelization_factor: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 10_000:
            raise BootcampError(f"BatchSize {self.batch_size} is outside 1..10000")
        if self.starting_position not in STARTING_POSITIONS:
            raise BootcampError(f"StartingPosition {self.starting_position!r} is not one of "
                                f"{', '.join(STARTING_POSITIONS)}")
        if self.starting_position == "AT_TIMESTAMP" and self.starting_position_timestamp is None:
            raise BootcampError("StartingPosition AT_TIMESTAMP needs StartingPositionTimestamp")
        if not 1 <= self.parallelization_factor <= 10:
            raise BootcampError(f"ParallelizationFactor {self.parallelization_factor} is outside 1..10")

    @classmethod
    def from_properties(cls, properties: Mapping[str, Any]) -> MappingSettings:
        """Settings from a SAM `Kinesis` event's `Properties`."""
        timestamp = properties.get("StartingPositionTimestamp")
        return cls(
            stream=str(properties.get("Stream", "")),
            batch_size=int(properties.get("BatchSize", 100)),
            maximum_batching_window_s=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
            starting_position=str(properties.get("StartingPosition", "")),
            starting_position_timestamp=(datetime.fromtimestamp(float(timestamp), UTC)
                                         if timestamp is not None else None),
            report_batch_item_failures=(
                "ReportBatchItemFailures" in properties.get("FunctionResponseTypes", [])),
            bisect_batch_on_function_error=bool(properties.get("BisectBatchOnFunctionError", False)),
            maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
            maximum_record_age_s=int(properties.get("MaximumRecordAgeInSeconds", -1)),
            parallelization_factor=int(properties.get("ParallelizationFactor", 1)),
        )


def kinesis_stream_destination(client: Any, stream_name: str) -> OnFailure:
    """An on-failure destination that puts each failure record, as JSON, into a Kinesis stream.

    AWS accepts an SQS queue, an SNS topic or an S3 bucket as a Kinesis mapping's on-failure
    destination, not a stream; locally the course uses a stream on kinesis-local because that is the
    one AWS emulator installed here. The record is the same JSON AWS sends; the partition key is the
    failed batch's shard, so the failures of one shard stay in order.
    """
    def send(record: dict[str, Any]) -> None:
        client.put_record(StreamName=stream_name, Data=json.dumps(record).encode(),
                          PartitionKey=record["KinesisBatchInfo"]["shardId"])
    return send


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!GetAtt`, `!Ref`, ...) read as plain mappings."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def settings_from_template(template: Path, function: str | None = None,
                           event: str | None = None) -> MappingSettings:
    """The settings of the `Kinesis` event of `function` (or of the template's only one)."""
    try:
        document = yaml.load(template.read_text(), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise BootcampError(f"cannot read the SAM template {template}: {exc}") from exc
    resources = document.get("Resources", {}) if isinstance(document, dict) else {}
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        if function is not None and logical_id != function:
            continue
        for name, spec in (resource.get("Properties", {}).get("Events") or {}).items():
            if isinstance(spec, dict) and spec.get("Type") == "Kinesis" and event in (None, name):
                found.append((logical_id, name, spec.get("Properties", {})))
    if len(found) != 1:
        where = f" of {function}" if function else ""
        raise BootcampError(f"{template} has {len(found)} Kinesis events{where}, not exactly one",
                            hint="name the function and the event")
    return MappingSettings.from_properties(found[0][2])


def atomic_write_json(path: Path, value: object) -> None:
    """Write JSON so a reader (or a restart after a kill) sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w") as handle:
        json.dump(value, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def slot_of(partition_key: str, factor: int) -> int:
    """The concurrent batch ("slot") of a shard that records with `partition_key` go to.

    AWS routes by a hash of the partition key so that one key always lands in the same slot; the
    hash it uses is not documented, so this uses the one Kinesis itself maps keys to shards with
    (MD5 as a 128-bit integer). Only the rule matters: same key, same slot, so order per key holds.
    """
    return int(hashlib.md5(partition_key.encode()).hexdigest(), 16) % factor  # noqa: S324 (not security)


@dataclass
class _Lane:
    """Records delivered in order, one batch at a time: a whole shard (factor 1) or one slot of it."""

    buffer: list[dict[str, Any]] = field(default_factory=list)
    limit: int = 0  # the size of the next batch (smaller while bisecting)
    attempts: int = 0  # failed invocations of the current first record


@dataclass
class _Slot(_Lane):
    future: Future[Any] | None = None  # the batch in flight, if any
    batch: list[dict[str, Any]] = field(default_factory=list)  # its records


@dataclass
class _Shard(_Lane):
    shard_id: str = ""
    iterator: str | None = None
    closed_and_drained: bool = False  # the shard's iterator ran out: nothing more will come
    # With ParallelizationFactor > 1 only (the shard's own buffer then holds records read and not
    # yet routed to a slot):
    slots: list[_Slot] = field(default_factory=list)
    pending: deque[str] = field(default_factory=deque)  # read, not yet under the checkpoint, in order
    done: set[str] = field(default_factory=set)  # of `pending`, those some slot finished
    last_read: str | None = None  # where to re-read from after an expired iterator
    pool: ThreadPoolExecutor | None = None  # one thread per slot


@dataclass
class PollStats:
    """What the poller did, for tests and the results line."""

    invocations: int = 0
    delivered: int = 0  # records in batches that succeeded
    failed_invocations: int = 0
    skipped: int = 0  # records given up on (retries exhausted or too old)


class KinesisPoller:
    """Polls every shard of `stream_name` and invokes `invoke(event)` as the event source mapping does.

    `invoke` is any callable taking the Lambda event: a plain function in tests, or
    `LambdaEmulator.invoke` to run the packaged function. It fails a batch by raising (a
    FunctionError, a timeout) and, with ReportBatchItemFailures, reports records by returning
    `batchItemFailures`. With a ParallelizationFactor > 1 it is called from one thread per slot.
    """

    def __init__(self, client: Any, stream_name: str, settings: MappingSettings, invoke: Invoke,
                 checkpoint_path: Path, on_failure: OnFailure | None = None,
                 function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:local",
                 invoke_identity_arn: str = "arn:aws:iam::000000000000:role/lambda-role") -> None:
        self.client = client
        self.stream_name = stream_name
        self.settings = settings
        self.invoke = invoke
        self.checkpoint_path = checkpoint_path
        self.on_failure = on_failure
        self.function_arn = function_arn
        self.invoke_identity_arn = invoke_identity_arn
        self.stats = PollStats()
        summary = client.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
        self.stream_arn: str = summary["StreamARN"]
        self.region = self.stream_arn.split(":")[3]
        self._shards: dict[str, _Shard] = {}
        self._checkpoints: dict[str, str] = {}
        self._finished: set[str] = set()
        self._parents: dict[str, tuple[str, ...]] = {}
        self._load_checkpoints()

    # -- checkpoints -----------------------------------------------------------------------------
    def _load_checkpoints(self) -> None:
        try:
            saved = json.loads(self.checkpoint_path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise BootcampError(f"the checkpoint file {self.checkpoint_path} is unreadable: {exc}") from exc
        if saved.get("stream_arn") != self.stream_arn:
            raise BootcampError(f"{self.checkpoint_path} holds checkpoints of {saved.get('stream_arn')}, "
                                f"not of {self.stream_arn}", hint="use one checkpoint file per mapping")
        self._checkpoints = dict(saved.get("checkpoints", {}))
        self._finished = set(saved.get("finished", []))

    def _save_checkpoints(self) -> None:
        atomic_write_json(self.checkpoint_path, {
            "stream_arn": self.stream_arn, "checkpoints": self._checkpoints,
            "finished": sorted(self._finished),
        })

    def checkpoint(self, shard_id: str) -> str | None:
        """The sequence number up to which `shard_id` is done, or None."""
        return self._checkpoints.get(shard_id)

    # -- shards ----------------------------------------------------------------------------------
    def _eligible_shards(self) -> list[_Shard]:
        """Shards to read now: not finished, and every parent still in the stream finished."""
        listed: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamName": self.stream_name}
        while True:
            page = self.client.list_shards(**kwargs)
            listed.extend(page["Shards"])
            if not page.get("NextToken"):
                break
            kwargs = {"NextToken": page["NextToken"]}
        known = {shard["ShardId"] for shard in listed}
        eligible = []
        for shard in listed:
            shard_id = shard["ShardId"]
            if shard_id in self._finished:
                continue
            parents = [p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p]
            self._parents[shard_id] = tuple(parents)
            if any(p in known and p not in self._finished for p in parents):
                continue
            state = self._shards.setdefault(
                shard_id, _Shard(shard_id=shard_id, limit=self.settings.batch_size))
            eligible.append(state)
        return eligible

    def _iterator(self, shard: _Shard) -> str:
        # With slots, records past the checkpoint may already sit in a slot: re-read after those.
        checkpoint = shard.last_read or self._checkpoints.get(shard.shard_id)
        kwargs: dict[str, Any] = {"StreamName": self.stream_name, "ShardId": shard.shard_id}
        if checkpoint is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=checkpoint)
        elif self._is_child(shard.shard_id):
            kwargs.update(ShardIteratorType="TRIM_HORIZON")  # a child starts where its parents ended
        else:
            kwargs.update(ShardIteratorType=self.settings.starting_position)
            if self.settings.starting_position == "AT_TIMESTAMP":
                kwargs["Timestamp"] = self.settings.starting_position_timestamp
        iterator: str = self.client.get_shard_iterator(**kwargs)["ShardIterator"]
        return iterator

    def _is_child(self, shard_id: str) -> bool:
        # A child of a shard this mapping finished: LATEST there would skip records written after
        # the reshard and before we got to the child.
        return any(parent in self._finished for parent in self._parents.get(shard_id, ()))

    def _fill(self, shard: _Shard) -> None:
        """Read until the next batch is full, the window has passed, or the shard has no more now."""
        deadline = time.monotonic() + self.settings.maximum_batching_window_s
        while len(shard.buffer) < shard.limit and not shard.closed_and_drained:
            if shard.iterator is None:
                shard.iterator = self._iterator(shard)
            response = self.client.get_records(ShardIterator=shard.iterator,
                                               Limit=min(10_000, shard.limit - len(shard.buffer)))
            shard.buffer.extend(response["Records"])
            shard.iterator = response.get("NextShardIterator")
            if shard.iterator is None:
                shard.closed_and_drained = True
                break
            if not response["Records"]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(0.1, remaining))
            elif time.monotonic() >= deadline:
                break

    # -- delivery --------------------------------------------------------------------------------
    def event(self, shard_id: str, records: list[dict[str, Any]]) -> Event:
        """The Lambda Kinesis event for `records` of `shard_id`, field for field as AWS builds it."""
        return {"Records": [{
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record["PartitionKey"],
                "sequenceNumber": record["SequenceNumber"],
                "data": base64.b64encode(record["Data"]).decode("ascii"),
                "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.invoke_identity_arn,
            "awsRegion": self.region,
            "eventSourceARN": self.stream_arn,
        } for record in records]}

    def _lowest_failure(self, result: Any, batch: list[dict[str, Any]]) -> str | None:
        """None for success; the lowest failed sequence number; "" when the whole batch failed."""
        if not self.settings.report_batch_item_failures:
            return None
        if not isinstance(result, dict) or not result.get("batchItemFailures"):
            return None  # no list or an empty list: success
        in_batch = {record["SequenceNumber"] for record in batch}
        failures = result["batchItemFailures"]
        identifiers = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if any(not isinstance(i, str) or i not in in_batch for i in identifiers):
            return ""  # AWS treats an invalid report as the failure of the whole batch
        return min(identifiers, key=int)  # type: ignore[arg-type]

    def _advance(self, shard: _Shard, lane: _Lane, done: list[dict[str, Any]]) -> None:
        """`done` (the head of `lane`) is finished: move the shard's checkpoint as far as that allows.

        For a whole shard that is the last record done. For a slot it is the end of the run of
        finished records at the head of the shard's `pending`: the checkpoint never passes a record
        another slot has not finished (the lowest unfinished sequence number across slots bounds it).
        """
        lane.attempts = 0
        if not done:
            return
        del lane.buffer[:len(done)]
        if lane is shard:
            self._checkpoints[shard.shard_id] = done[-1]["SequenceNumber"]
        else:
            shard.done.update(record["SequenceNumber"] for record in done)
            moved: str | None = None
            while shard.pending and shard.pending[0] in shard.done:
                moved = shard.pending.popleft()
                shard.done.discard(moved)
            if moved is None:
                return
            self._checkpoints[shard.shard_id] = moved
        self._save_checkpoints()

    def _give_up(self, shard: _Shard, lane: _Lane, batch: list[dict[str, Any]], condition: str) -> None:
        self.stats.skipped += len(batch)
        if self.on_failure is not None:
            self.on_failure(self.failure_record(shard.shard_id, batch, condition, attempts=lane.attempts))
        self._advance(shard, lane, batch)
        lane.limit = self.settings.batch_size

    def failure_record(self, shard_id: str, batch: list[dict[str, Any]], condition: str,
                       attempts: int | None = None) -> dict[str, Any]:
        """What AWS sends an on-failure destination for a Kinesis batch it gave up on."""
        def iso(moment: datetime) -> str:
            return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

        if attempts is None:
            attempts = self._attempts_of(shard_id)
        return {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": self.function_arn,
                               "condition": condition,
                               "approximateInvokeCount": 1 + attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": iso(datetime.now(UTC)),
            "KinesisBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": iso(batch[0]["ApproximateArrivalTimestamp"]),
                "approximateArrivalOfLastRecord": iso(batch[-1]["ApproximateArrivalTimestamp"]),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }

    def _attempts_of(self, shard_id: str) -> int:
        shard = self._shards.get(shard_id)
        return shard.attempts if shard else 0

    def _expire(self, shard: _Shard, lane: _Lane) -> None:
        if self.settings.maximum_record_age_s < 0:
            return
        now = datetime.now(UTC)
        old = 0
        for record in lane.buffer:
            age = (now - record["ApproximateArrivalTimestamp"]).total_seconds()
            if age <= self.settings.maximum_record_age_s:
                break
            old += 1
        if old:
            self._give_up(shard, lane, lane.buffer[:old], "RecordAgeExceeded")

    def _deliver(self, shard: _Shard) -> None:
        """Invoke the function once with the shard's next batch and act on the outcome (factor 1)."""
        batch = shard.buffer[:shard.limit]
        self.stats.invocations += 1
        event = self.event(shard.shard_id, batch)
        self._settle(shard, shard, batch, lambda: self.invoke(event))

    def _settle(self, shard: _Shard, lane: _Lane, batch: list[dict[str, Any]],
                outcome: Callable[[], Any]) -> None:
        """Act on the outcome of invoking the function with `batch`, the head of `lane`.

        `outcome()` returns the function's result or raises its failure: the call itself (factor 1)
        or the result of a slot's future (factor > 1), so both take exactly the same decisions.
        """
        try:
            result = outcome()
        except NotImplementedError:
            raise  # a learner's stub is not a failed batch to retry until the records expire: stop
        except Exception:  # any failure of the function (an error, a timeout) fails the batch, as on AWS
            lowest: str | None = ""
        else:
            lowest = self._lowest_failure(result, batch)
        if lowest is None:
            self.stats.delivered += len(batch)
            self._advance(shard, lane, batch)
            lane.limit = self.settings.batch_size
            return
        self.stats.failed_invocations += 1
        if lowest:
            done = [r for r in batch if int(r["SequenceNumber"]) < int(lowest)]
            self.stats.delivered += len(done)
            if done:
                self._advance(shard, lane, done)  # progress: the retry budget starts again
                return
        lane.attempts += 1
        retries = self.settings.maximum_retry_attempts
        if retries >= 0 and lane.attempts > retries:
            self._give_up(shard, lane, batch, "RetryAttemptsExhausted")
        elif self.settings.bisect_batch_on_function_error and len(batch) > 1:
            lane.limit = max(1, len(batch) // 2)

    def run_once(self) -> int:
        """One round: at most one batch per eligible shard (per slot with a factor > 1).

        The number of invocations started.
        """
        if self.settings.parallelization_factor > 1:
            return self._run_parallel()
        invocations = self.stats.invocations
        for shard in self._eligible_shards():
            try:
                self._fill(shard)
            except self.client.exceptions.ExpiredIteratorException:
                shard.iterator, shard.buffer = None, []
                continue
            self._expire(shard, shard)
            if shard.buffer:
                self._deliver(shard)
            elif shard.closed_and_drained:
                self._finished.add(shard.shard_id)
                self._save_checkpoints()
        return self.stats.invocations - invocations

    # -- ParallelizationFactor > 1 ---------------------------------------------------------------
    def _run_parallel(self, wait_s: float = 0.05) -> int:
        """A round with concurrent slots: settle finished batches, read, route, start free slots.

        Only this (the caller's) thread reads the stream and touches the checkpoints; the slots'
        threads only call the function, so no state is shared with them but the futures.
        """
        factor = self.settings.parallelization_factor
        started = 0
        for shard in self._eligible_shards():
            if not shard.slots:
                shard.slots = [_Slot(limit=self.settings.batch_size) for _ in range(factor)]
                shard.pool = ThreadPoolExecutor(factor, thread_name_prefix=f"slot-{shard.shard_id}")
            self._settle_finished(shard)
            routed = sum(len(slot.buffer) for slot in shard.slots)
            if not shard.closed_and_drained and routed < factor * self.settings.batch_size:
                try:
                    self._fill(shard)
                except self.client.exceptions.ExpiredIteratorException:
                    shard.iterator, shard.buffer = None, []  # re-read after `last_read`
                self._route(shard)
            for slot in shard.slots:
                if slot.future is None:
                    self._expire(shard, slot)
                    if slot.buffer:
                        slot.batch = slot.buffer[:slot.limit]
                        self.stats.invocations += 1
                        started += 1
                        assert shard.pool is not None
                        slot.future = shard.pool.submit(self.invoke, self.event(shard.shard_id, slot.batch))
            if shard.closed_and_drained and all(not s.buffer and s.future is None for s in shard.slots):
                self._finished.add(shard.shard_id)
                self._save_checkpoints()
                if shard.pool is not None:
                    shard.pool.shutdown(wait=False)
        in_flight = [slot.future for shard in self._shards.values() for slot in shard.slots
                     if slot.future is not None]
        if in_flight:
            wait(in_flight, timeout=wait_s, return_when=FIRST_COMPLETED)
            for shard in self._shards.values():
                self._settle_finished(shard)
        return started

    def _route(self, shard: _Shard) -> None:
        """Move the records just read to their slots, by partition key, remembering their order."""
        for record in shard.buffer:
            shard.pending.append(record["SequenceNumber"])
            shard.slots[slot_of(record["PartitionKey"], len(shard.slots))].buffer.append(record)
            shard.last_read = record["SequenceNumber"]
        shard.buffer = []

    def _settle_finished(self, shard: _Shard) -> None:
        for slot in shard.slots:
            if slot.future is not None and slot.future.done():
                future, slot.future = slot.future, None
                self._settle(shard, slot, slot.batch, future.result)

    def run_until(self, done: Callable[[], bool], timeout_s: float = 60.0, idle_s: float = 0.05) -> None:
        """Poll until `done()` is true; BootcampError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise BootcampError(
                    f"the Kinesis poller did not finish within {timeout_s:.0f}s ({self.stats})")
            if not self.run_once():
                time.sleep(idle_s)

    def close(self) -> None:
        """Save the checkpoints and let the slots' threads go (a batch in flight is not waited for)."""
        for shard in self._shards.values():
            if shard.pool is not None:
                shard.pool.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(OSError):
            self._save_checkpoints()
