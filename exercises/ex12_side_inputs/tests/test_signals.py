"""SIGTERM mid-run: the CLI stops with one line and exit code 130, and leaves no output file behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bootcamp.datasets.customers import write_dataset
from bootcamp.paths import REPO_ROOT


@pytest.mark.slow
def test_sigterm_mid_run_exits_130_with_one_line_and_no_partial_output(tmp_path: Path,
                                                                      impl_name: str) -> None:
    data = write_dataset(tmp_path / "in", 20_000, 250_000, seed=3)      # a run of 10+ s here
    module = "exercises.ex12_side_inputs.run"  # runs the implementation BOOTCAMP_IMPL names
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--profiles", str(data.profiles), "--purchases", str(data.purchases),
         "--promotions", str(data.promotions), "--output", str(out), "--runner=FnApiRunner"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    started = proc.stderr.readline()          # printed once the SIGTERM handler is in place
    assert started.startswith("ex12: running"), started
    time.sleep(2)                             # into the run proper (it takes 10+ s on this input)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=120)
    if "NotImplementedError" in stderr:
        raise NotImplementedError(stderr.strip().splitlines()[-1])
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("ex12:")]
    assert lines[-1].startswith("ex12: interrupted")
    assert not (out / "enriched.jsonl").exists(), "an interrupted run must not leave a complete-looking file"
