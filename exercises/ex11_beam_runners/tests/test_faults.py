"""Killing a run mid-way: it stops cleanly, leaves no final output behind, and a re-run recovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bootcamp.datasets.weblogs import write_csv
from bootcamp.paths import REPO_ROOT
from bootcamp.testing.plugin import Implementation
from exercises.ex11_beam_runners import baseline, results


@pytest.mark.slow
def test_sigterm_mid_run_then_rerun(impl: Implementation, tmp_path: Path) -> None:
    impl.runners.runner_options("direct-in-memory")  # graded with the exercise
    source = write_csv(tmp_path / "big.csv", rows=500_000, seed=31, bad_fraction=0.001)
    out, db = tmp_path / "out", tmp_path / "stats.db"
    argv = [sys.executable, "-m", "exercises.ex11_beam_runners.run", "--runner", "direct-in-memory",
            "--impl", impl.package.rsplit(".", 1)[1], "--input", str(source), "--output", str(out),
            "--db", str(db)]
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while not any((out / "stats").glob("beam-temp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the pipeline is executing once WriteToText made its temp dir
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "no output finalised" in err
    assert not list((out / "stats").glob("part-*.csv")), "no final CSV from an interrupted run"

    done = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = results.read_csv_rows(str(out))
    assert rows == results.read_db_rows(str(db)) == baseline.query(str(source))
