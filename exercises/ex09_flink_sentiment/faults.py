"""The restart test's fault: an identity map that fails the job once, after a checkpoint has completed.

Provided, and used only when EX09_FAULT_FILE names a file. It fails on a record that comes after a
completed checkpoint (it sees the checkpoint's `_metadata` file; a checkpoint completes only after
its barrier has passed this operator) plus a margin of records, so the failed attempt has written
records that the restarted one will write again: an at-least-once sink then shows duplicates. It
deletes the file before failing, so the restarted job runs clean.
"""

from __future__ import annotations

import glob
import os
import time
from typing import Any

from pyflink.datastream.functions import MapFunction, RuntimeContext

MARGIN = 30
"""Records after the completed checkpoint before the fault (three bundles at the tests' bundle size)."""


class FailOnce(MapFunction):
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
            time.sleep(1.0)  # let the sink's producer send what it was handed
            raise RuntimeError(f"ex09 injected fault after {self.seen} records")
        return value
