"""The restart test's fault: an identity map that kills its own process once, after a checkpoint.

Provided, and used only when EX09_FAULT_FILE names a file. The map runs in the job's Python UDF
worker, the process beside the JVM that runs every Python operator of the task, so the fault is a
`SIGKILL` of that worker mid-stream: no exception, no clean-up, no flush, as when the kernel's OOM
killer or a node loss takes it. The JVM sees the worker's gRPC channel break, fails the task, and
Flink's restart strategy restores the job from its last completed checkpoint with a new worker.

It fires on a record that comes after a completed checkpoint (it sees the checkpoint's `_metadata`
file; a checkpoint completes only after its barrier has passed this operator) plus a margin of
records, so the killed attempt has written records that the restarted one will write again: an
at-least-once sink then shows duplicates. It deletes the file first, so the restarted job runs clean.
"""

from __future__ import annotations

import glob
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from pyflink.datastream.functions import MapFunction, RuntimeContext


def killed_file(marker: str) -> str:
    """Where the fault leaves the killed worker's pid and the record count it died at."""
    return marker + ".killed"


MARGIN = 30
"""Records after the completed checkpoint before the fault (three bundles at the tests' bundle size)."""


class FailOnce(MapFunction):
    """Pass records through; once, after a completed checkpoint and MARGIN records, SIGKILL this worker."""

    def __init__(self, marker: str, after: int, checkpoint_dir: str) -> None:
        self.marker = marker
        self.after = after
        self.checkpoint_dir = checkpoint_dir

    def open(self, runtime_context: RuntimeContext) -> None:
        self.seen = 0
        self.since: int | None = None

    def _checkpointed(self) -> bool:
        return bool(glob.glob(os.path.join(self.checkpoint_dir, "*", "chk-*", "_metadata")))

    def map(self, value: Any) -> Any:
        self.seen += 1
        if self.seen < self.after or not os.path.exists(self.marker):
            return value
        if self.since is None:
            if self._checkpointed():
                self.since = self.seen
            return value
        if self.seen - self.since >= MARGIN:
            os.remove(self.marker)
            time.sleep(1.0)  # let the sinks' producers send what they were handed (uncommitted)
            # PyFlink replaces print() in its workers; write the evidence the test reads instead.
            Path(killed_file(self.marker)).write_text(f"{os.getpid()} {self.seen}\n")
            sys.stderr.write(f"ex09 fault: SIGKILL of Python worker {os.getpid()} at record {self.seen}\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return value
