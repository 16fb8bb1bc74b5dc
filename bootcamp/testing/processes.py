"""Run the code under test in another process or thread, and surface a starter's NotImplementedError.

A learner's unfinished code fails inside a subprocess or a worker thread; these helpers turn that
into a NotImplementedError in the test itself, so the plugin can report "not implemented yet" instead
of a timeout or a distant traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bootcamp.paths import REPO_ROOT


class Spawned:
    """A Python module running as a child process, its stderr kept in a file."""

    def __init__(self, module: str, env: dict[str, str], log_path: Path) -> None:
        self.module = module
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO_ROOT, env={**os.environ, **env},
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def check_alive(self) -> None:
        """Raise if the process has ended (NotImplementedError if the starter's stub ended it)."""
        code = self.process.poll()
        if code is None:
            return
        text = self.log()
        if "NotImplementedError" in text:
            line = next((ln for ln in reversed(text.splitlines()) if "NotImplementedError" in ln), "")
            raise NotImplementedError(f"{self.module}: {line.strip()}")
        raise AssertionError(f"{self.module} exited with code {code}:\n{text[-2000:]}")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        try:
            return self.process.wait(timeout_s)
        finally:
            self._log.flush()

    def kill(self) -> None:
        """Kill the child and its process group, if still there."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()


class Worker(threading.Thread):
    """A daemon thread that keeps the exception its target raised, for the test to re-raise."""

    def __init__(self, target: Callable[[], Any], name: str = "worker") -> None:
        super().__init__(name=name, daemon=True)
        self._work = target
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._work()
        except BaseException as exc:
            self.error = exc

    def check_alive(self) -> None:
        if self.error is not None:
            raise self.error


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str,
               *watched: Spawned | Worker, interval_s: float = 0.1) -> None:
    """Poll `condition` until true; fail on timeout, or at once if a watched process or thread died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for item in watched:
            item.check_alive()
        if condition():
            return
        time.sleep(interval_s)
    for item in watched:
        item.check_alive()
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
