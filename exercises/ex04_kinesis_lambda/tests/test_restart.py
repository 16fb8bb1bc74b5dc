"""The event source mapping killed mid-batch and started again: nothing is lost.

The mapping runs as a process of its own (`pipeline poll`), invoking the function under the
emulator. The proxy holds the function's output write of one batch, so the kill lands while that
invocation is in flight; the function itself finishes its write afterwards (as a Lambda invocation
outlives a crashed poller on AWS). The restarted mapping starts from its checkpoint file and delivers
that batch again: every order arrives, some twice, and the consumer's de-duplication by source
eventID leaves each exactly once, in order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bootcamp.lambda_emulator import LambdaEmulator
from exercises.ex04_kinesis_lambda import streams
from exercises.ex04_kinesis_lambda.generator import orders
from exercises.ex04_kinesis_lambda.tests.conftest import Sinks
from exercises.ex04_kinesis_lambda.tests.faults import Delay, FaultyKinesis
from exercises.ex04_kinesis_lambda.tests.support import order_entry, outputs_of, put_input

pytestmark = pytest.mark.integration


def start_poller(stream: str, checkpoints: Path, function: LambdaEmulator, failure_stream: str,
                 log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "exercises.ex04_kinesis_lambda.pipeline", "poll", "--stream", stream,
             "--checkpoints", str(checkpoints), "--invoke-url", function.url, "--failure-stream",
             failure_stream, "--batch-size", "10", "--retries", "-1"],
            stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy(), start_new_session=True)


def wait_for(condition: Callable[[], bool], poller: subprocess.Popen[bytes], log: Path,
             timeout_s: float = 60) -> None:
    """Until `condition()`; the poller's own error at once if it exits first."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if poller.poll() is not None:
            text = log.read_text(errors="replace")
            error = next((ln for ln in text.splitlines() if ln.startswith("error:")), text[-800:])
            stub = "error: not implemented yet: "
            if error.startswith(stub):  # the function is still the starter's stub
                raise NotImplementedError(error.removeprefix(stub))
            raise AssertionError(f"the poller exited with {poller.returncode}: {error}")
        assert time.monotonic() < deadline, f"not within {timeout_s:.0f}s: {log.read_text()[-800:]}"
        time.sleep(0.05)


def checkpoint(path: Path) -> str | None:
    try:
        saved: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    value = saved["checkpoints"].get("shardId-000000000000")
    return str(value) if value else None


def stop(poller: subprocess.Popen[bytes]) -> None:
    if poller.poll() is None:
        os.killpg(poller.pid, signal.SIGTERM)
        poller.wait(15)


def test_the_mapping_killed_mid_batch_and_restarted_loses_nothing(
        kinesis: Any, function: LambdaEmulator, sinks: Sinks, make_stream: Callable[..., str],
        faults: FaultyKinesis, run_id: str, tmp_path: Path) -> None:
    stream, failure_stream = make_stream("in"), make_stream("onfailure")
    good = [order_entry(o) for o in orders(40, run=run_id, customers=5)]
    last = put_input(kinesis, stream, good)["shardId-000000000000"]
    held: Delay = faults.delay(f'"order_id": "{run_id}-000025"'.encode(), seconds=3)  # the 3rd batch
    checkpoints, log = tmp_path / "checkpoints.json", tmp_path / "poller.log"

    first = start_poller(stream, checkpoints, function, failure_stream, log)
    try:
        wait_for(held.started.is_set, first, log)
        before = checkpoint(checkpoints)
        os.killpg(first.pid, signal.SIGKILL)  # mid-invocation: no chance to save anything
        first.wait(10)
    finally:
        stop(first)
    sequence_numbers = [r["SequenceNumber"] for r in streams.read_stream(kinesis, stream)]
    assert before == sequence_numbers[19], "two batches of ten were done before the kill"
    # The held write lands: the killed mapping's invocation finishes its work all the same.
    deadline = time.monotonic() + 30
    while len(outputs_of(kinesis, sinks.output, run_id)) < 30:
        assert time.monotonic() < deadline, "the invocation in flight at the kill never wrote its batch"
        time.sleep(0.2)

    second = start_poller(stream, checkpoints, function, failure_stream, log)
    try:
        wait_for(lambda: checkpoint(checkpoints) == last, second, log)
    finally:
        stop(second)

    out = outputs_of(kinesis, sinks.output, run_id)
    kept = streams.deduplicated(out)
    assert sorted(o["order_id"] for o in kept) == sorted(f"{run_id}-{i:06d}" for i in range(40)), \
        "an order was lost across the kill"
    assert len(out) == 50, "the batch in flight at the kill was delivered again (ten copies)"
    assert streams.out_of_order(kept) == {}
    assert streams.decoded(streams.read_stream(kinesis, failure_stream)) == []
