"""Running the transformer as a real process, for `bootcamp run` and `bootcamp bench`.

Both start the chosen implementation (`BOOTCAMP_IMPL`, the solution by default) with its settings in
`EX01_*` variables, exactly as an operator would, and stop it with SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bootcamp.errors import BootcampError
from bootcamp.kafka.admin import ensure_topics
from bootcamp.paths import REPO_ROOT, service_dir
from exercises.ex01_kafka_transform.config import TransformerSettings


def fresh_settings(label: str, **overrides: object) -> TransformerSettings:
    """Settings with topics and a group of their own (the broker keeps old topics until restart)."""
    run = f"{label}-{uuid.uuid4().hex[:6]}"
    settings = TransformerSettings(
        input_topic=f"ex01-{run}.in", output_topic=f"ex01-{run}.out",
        dead_letter_topic=f"ex01-{run}.dlq", group_id=f"ex01-{run}",
    ).model_copy(update=overrides)
    ensure_topics(settings.topics(), partitions=settings.partitions)
    return settings


class TransformerProcess:
    """The transformer (`transformer`, or the exactly-once `transactional`) in a child process;
    `stop()` sends SIGTERM and returns the exit code."""

    def __init__(self, settings: TransformerSettings, log_name: str = "transformer",
                 module: str = "transformer") -> None:
        impl = os.environ.get("BOOTCAMP_IMPL", "solution")
        self.log_path: Path = service_dir("ex01") / f"{log_name}.log"
        env = {**os.environ, **{f"EX01_{k.upper()}": str(v) for k, v in settings.model_dump().items()
                                if v is not None}}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"exercises.ex01_kafka_transform.{impl}.{module}"],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise BootcampError(f"the transformer exited with code {self.process.returncode}: "
                                + " | ".join(tail))

    def stop(self, timeout_s: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
                return -9
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(condition: object, timeout_s: float, what: str, process: TransformerProcess) -> None:
    """Poll a zero-argument callable until it is true, failing early if the transformer died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        process.check_alive()
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise BootcampError(f"timed out after {timeout_s:.0f}s waiting for {what}")
