"""The bench harness, and every built exercise's `bootcamp bench exNN --quick` run for real.

A bench is a command, not a timed test: these tests assert what a bench must always do (end with its
JSON line, report a point that measured nothing as null, draw its chart), never how fast it was.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bootcamp.bench import NO_DATA, BenchReport, percentile, ratio, result_line, rounded
from bootcamp.exercises import exercise_folders, load
from bootcamp.paths import REPO_ROOT, state_dir

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _strict_json(line: str) -> dict[str, Any]:
    """json.loads that refuses NaN and Infinity, which Python's json accepts and every other reader
    (jq, JavaScript, Go) rejects."""
    def refuse(constant: str) -> None:
        raise ValueError(f"bare {constant} in the JSON line: {line}")

    loaded: dict[str, Any] = json.loads(line, parse_constant=refuse)
    return loaded


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _report(exercise: str = "ex99", columns: list[str] | None = None) -> tuple[BenchReport, io.StringIO,
                                                                                io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    report = BenchReport(exercise, f"{exercise}: a test bench", columns or ["what", "batch", "rps", "p99 ms"],
                         console=Console(file=out, width=120), progress_console=Console(file=err, width=120))
    return report, out, err


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path))
    return tmp_path


# -- the harness --------------------------------------------------------------------------------------
def test_a_point_that_measured_nothing_prints_no_data_and_null(state: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    report, out, _err = _report()
    report.chart("line", x="batch", y="rps", series="what")
    report.add("transformer", 100, 4000.0, math.nan)
    report.add("transformer", 1000, math.nan, None)
    report.add("transformer", 10, math.inf, 3.0)
    report.finish({"rps": math.nan, "p99_ms": None, "inf": -math.inf, "ok": 1.234567,
                   "sweep": [{"batch": 1000, "rps": math.nan, "p": (math.nan, 2.0)}]})

    table = out.getvalue()
    assert table.count(NO_DATA) == 4, f"NaN, None and infinity must each print as {NO_DATA!r}:\n{table}"
    assert "nan" not in table.lower().replace("transformer", "")
    line = capsys.readouterr().out.splitlines()[-1]
    assert _strict_json(line) == {"exercise": "ex99", "rps": None, "p99_ms": None, "inf": None, "ok": 1.2346,
                                  "sweep": [{"batch": 1000, "rps": None, "p": [None, 2.0]}]}
    assert (state / "bench" / "ex99.png").read_bytes().startswith(PNG_MAGIC)


def test_an_empty_sweep_still_ends_with_its_json_line_and_a_chart(state: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """No rows at all (every point failed to measure): the table is empty, the chart says "no data",
    the JSON line holds nulls; the percentiles and ratios of nothing are NaN, not an exception."""
    report, out, _err = _report()
    report.chart("bar", x="what", y=["rps", "p99 ms"])
    report.chart("line", x="batch", y="rps", baselines={"produce-only": math.nan})
    p99 = percentile([], 99)
    report.finish({"p99_ms": p99, "vs_baseline": ratio(p99, 0.0), "rps": rounded(math.nan)})

    assert "a test bench" in out.getvalue()
    assert _strict_json(capsys.readouterr().out.splitlines()[-1]) == {
        "exercise": "ex99", "p99_ms": None, "vs_baseline": None, "rps": None}
    assert (state / "bench" / "ex99.png").read_bytes().startswith(PNG_MAGIC)


def test_the_chart_is_a_png_with_one_panel_per_declaration(state: Path) -> None:
    import matplotlib.image

    one, _, _ = _report("ex98")
    two, _, _ = _report("ex97")
    for report in (one, two):
        report.add("DuckDB (baseline)", 1, 40_000.0, 2.0)
        report.add("Spark", 1, 20_000.0, 4.0)
        report.chart("bar", x="what", y="rps")
    two.chart("bar", x="what", y="p99 ms")
    one_png = one.draw(state / "bench" / "one.png")
    two_png = two.draw(state / "bench" / "two.png")

    height_one = matplotlib.image.imread(one_png).shape[0]
    height_two = matplotlib.image.imread(two_png).shape[0]
    assert height_two > 1.8 * height_one, "each chart() call must add its own panel"


def test_a_chart_of_a_column_the_table_does_not_have_fails_at_once() -> None:
    report, _, _ = _report()
    with pytest.raises(ValueError, match=r"chart columns \['records/s'\] are not among"):
        report.chart("bar", x="what", y="records/s")
    with pytest.raises(ValueError, match="one numeric x column"):
        report.chart("line", x=["what", "batch"], y="rps")


def test_a_row_of_the_wrong_width_is_refused() -> None:
    report, _, _ = _report()
    with pytest.raises(ValueError, match="a row of 2 cells for 4 columns"):
        report.add("transformer", 1.0)


def test_progress_counts_steps_on_stderr_and_keeps_stdout_for_the_json_line(
        state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report, out, err = _report()
    report.progress(3, "ex99")
    for n in range(3):
        with report.step(f"point {n}"):
            report.add("transformer", n, float(n), 1.0)
    report.finish({"points": 3})

    lines = err.getvalue().splitlines()
    assert [line.split(" (at")[0] for line in lines] == [
        "ex99 [1/3] point 0", "ex99 [2/3] point 1", "ex99 [3/3] point 2"]
    assert "point" not in out.getvalue()
    assert _strict_json(capsys.readouterr().out.splitlines()[-1]) == {"exercise": "ex99", "points": 3}


def test_progress_as_a_block_ends_with_it(state: Path) -> None:
    report, _out, err = _report()
    with report.progress(1):
        with report.step("inside"):
            pass
        report.advance("by hand")
    with report.step("after"):  # no bar any more: a plain spinner on the report's console
        pass
    assert [line.split(" (at")[0] for line in err.getvalue().splitlines()] == [
        "ex99 [1/1] inside", "ex99 [2/1] done: by hand"]


def test_the_json_line_survives_numpy_figures_and_odd_values() -> None:
    import numpy as np

    line = result_line("ex99", {"n": np.int64(3), "x": np.float64("nan"), "path": Path("/tmp/a")})
    assert _strict_json(line) == {"exercise": "ex99", "n": 3, "x": None, "path": "/tmp/a"}


def test_rounded_and_ratio_are_nan_safe() -> None:
    assert rounded(math.nan) is None
    assert rounded(None, 1) is None
    assert rounded(2.5049, 2) == 2.5
    assert rounded(1234.6) == 1235
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 2.0))
    assert ratio(3.0, 2.0) == 1.5


# -- every built exercise's quick bench, for real ------------------------------------------------------
@pytest.fixture
def bench_state() -> Iterator[Path]:
    """A state directory of the bench's own, under the project's (not pytest's tmp_path: /tmp/pytest-of-*
    is private to its owner, and PostgreSQL runs as its own user, which must reach its data directory)."""
    path = Path(tempfile.mkdtemp(prefix="bench-test-", dir=state_dir()))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(620)  # a quick bench is 20-90 s alone; a shared, loaded machine can take 5x
@pytest.mark.parametrize("exercise", sorted(exercise_folders()))
def test_quick_bench_ends_with_its_json_line_and_draws_its_chart(
        exercise: str, bench_state: Path, local_service: Callable[[str], str]) -> None:
    """`bootcamp bench exNN --quick` as a user runs it, in a state directory of its own: it exits 0,
    prints its chart's path, and its last line of stdout is its JSON. Its services are the session's,
    named by the environment as external endpoints (the CLI starting services itself is tested in
    test_cli and by `make run`): one broker for the whole run, not one per bench."""
    for service in load(exercise).services:
        local_service(service)
    env = {**os.environ, "BOOTCAMP_STATE_DIR": str(bench_state), "BOOTCAMP_IMPL": "solution"}
    process = subprocess.Popen([sys.executable, "-m", "bootcamp.cli", "bench", exercise, "--quick"],
                               cwd=REPO_ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)  # not SIGKILL: the CLI then stops the services it started
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        pytest.fail(f"bench {exercise} --quick did not finish in 600 s\n--- stderr:\n{stderr[-3000:]}")
    tail = f"\n--- stdout:\n{stdout[-3000:]}\n--- stderr:\n{stderr[-3000:]}"
    # Not "no Traceback in stderr": Spark, Beam and Dask log handled ones there; a crash is the exit code.
    assert process.returncode == 0, f"bench {exercise} --quick exited {process.returncode}{tail}"

    last = stdout.splitlines()[-1] if stdout.strip() else ""
    try:
        figures = _strict_json(last)
    except ValueError as exc:
        pytest.fail(f"the last line of stdout is not valid JSON ({exc}): {last!r}{tail}")
    assert figures.get("exercise") == exercise, tail
    numbers = _numbers({k: v for k, v in figures.items() if k != "exercise"})
    assert all(math.isfinite(n) for n in numbers), figures
    assert numbers, f"bench {exercise} reported no figure at all: {figures}"

    png = bench_state / "bench" / f"{exercise}.png"
    assert png.is_file(), f"no chart at {png}{tail}"
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert f"chart: {png}" in stdout
