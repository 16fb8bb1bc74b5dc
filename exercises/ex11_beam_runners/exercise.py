"""ex11 manifest: `bootcamp run ex11` runs one pipeline on every local runner and compares outputs;
`bootcamp bench ex11` times each runner in its own process, with DuckDB as the baseline."""

from __future__ import annotations

import logging
import math
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bootcamp.bench import BenchReport, ratio
from bootcamp.datasets.weblogs import write_csv
from bootcamp.errors import BootcampError
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.paths import REPO_ROOT

console = Console()
_PKG = "exercises.ex11_beam_runners"
QUICK_RUNNERS = ["direct-in-memory", "bundle-based-direct"]


def run(quick: bool) -> RunResult:
    from exercises.ex11_beam_runners import baseline, portable, results
    from exercises.ex11_beam_runners import run as runner
    from exercises.ex11_beam_runners.config import Ex11Settings

    settings = Ex11Settings()
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    rows = 3_000 if quick else settings.rows
    table = Table(title=f"ex11: one pipeline, {rows:,} log lines, every local runner")
    for column in ("runner", "seconds", "csv rows", "db rows", "dead letters", "same as DuckDB"):
        table.add_column(column)
    all_same = True
    with tempfile.TemporaryDirectory(prefix="ex11-") as tmp:
        source = write_csv(Path(tmp) / "logs.csv", rows, settings.seed, settings.bad_fraction)
        expected = baseline.query(str(source))
        dead_ref: list[tuple[str, str]] | None = None
        for name in settings.runner_list():
            out, db = f"{tmp}/{name}", f"{tmp}/{name}.db"
            with console.status(f"running on {name}"):
                try:
                    report = runner.run_on(name, str(source), out, db, workers=settings.workers)
                except portable.RunnerFailed as exc:  # a job server that did not start: one line
                    raise BootcampError(str(exc)) from exc
            csv_rows, db_rows = results.read_csv_rows(out), results.read_db_rows(db)
            dead = results.read_dead_letters(out)
            dead_ref = dead if dead_ref is None else dead_ref
            same = csv_rows == db_rows == expected and dead == dead_ref
            all_same &= same
            table.add_row(name, f"{report.seconds:.1f}", str(len(csv_rows)), str(len(db_rows)),
                          str(len(dead)), "[green]yes[/green]" if same else "[red]NO[/red]")
    console.print(table)
    return RunResult(ok=all_same, summary=(
        f"{len(settings.runner_list())} runners, outputs {'identical' if all_same else 'DIFFER'} "
        "(CSV, SQLite, dead letters; DuckDB cross-check)"),
        figures={"lines": str(rows), "runners": str(len(settings.runner_list()))})


def _measure(argv: list[str]) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS of its whole process tree in MiB, its stdout)."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
            except psutil.NoSuchProcess:
                break
            peak = max(peak, total)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        last = (err.strip().splitlines() or ["no output"])[-1]
        raise BootcampError(f"{' '.join(argv[2:5])} exited with {proc.returncode}: {last}")
    return seconds, peak / 2**20, out


def bench(quick: bool) -> None:
    """Every runner in its own process on the same input, per line and batched; DuckDB's SQL in the
    same run as the baseline. A runner that fails is reported as measuring nothing; the rest go on."""
    from exercises.ex11_beam_runners import baseline, results
    from exercises.ex11_beam_runners.config import Ex11Settings

    settings = Ex11Settings()
    rows = 5_000 if quick else 300_000  # quick: proves every step runs
    report = BenchReport("ex11", f"ex11: {rows:,} log lines, one pipeline per runner",
                         ["runner", "graph", "process wall s", "pipeline s", "start-up s", "peak MiB",
                          "records/s", "x DuckDB time", "same rows"])
    metrics: dict[str, object] = {"rows": rows}
    failed: list[str] = []
    # Quick shows that the bench works, on two in-process runners: the others' process start-up (imports,
    # workers, a Dask cluster) took 40-140 s each of a 432 s quick run here, and Prism's two graphs added
    # 18 s to a 93 s one (load 9), so Prism, Flink and Spark run in full mode. EX11_RUNNERS chooses.
    runners = settings.runner_list() if not quick or "runners" in settings.model_fields_set else QUICK_RUNNERS
    _declare(report, runners)
    with tempfile.TemporaryDirectory(prefix="ex11-bench-") as tmp:
        source = write_csv(Path(tmp) / "logs.csv", rows, settings.seed, settings.bad_fraction)
        expected = baseline.query(str(source))
        try:
            with report.step("DuckDB"):
                base_wall, base_mib, out = _measure([sys.executable, "-m", f"{_PKG}.baseline", "--input",
                                                     str(source)])
            base_s = float(out.split()[2])
            report.add("DuckDB (baseline)", "SQL", base_wall, base_s, base_wall - base_s, base_mib,
                       rows / base_s, 1.0, "yes")
        except (BootcampError, ValueError, IndexError) as exc:  # no baseline: the ratios are unknown
            base_s = math.nan
            report.add("DuckDB (baseline)", "SQL", *[math.nan] * 6, "failed")
            report.note(f"DuckDB measured nothing: {exc}")
        metrics["duckdb_s"] = base_s
        best = math.inf
        for name in runners:
            for graph in ("per line", "batched"):
                out_dir, db = f"{tmp}/{name}-{graph[0]}", f"{tmp}/{name}-{graph[0]}.db"
                argv = [sys.executable, "-m", f"{_PKG}.run", "--runner", name, "--input", str(source),
                        "--output", out_dir, "--db", db, "--workers", str(settings.workers)]
                key = name.replace("-", "_") + ("_batched" if graph == "batched" else "")
                try:
                    with report.step(f"{name}, {graph}"):
                        wall, mib, out = _measure([*argv, "--batched"] if graph == "batched" else argv)
                    seconds = float(out.split()[-1])
                except (BootcampError, ValueError, IndexError) as exc:  # measured nothing: say so, go on
                    report.add(name, graph, *[math.nan] * 6, "failed")
                    report.note(f"{name} ({graph}) measured nothing: {exc}")
                    metrics[f"{key}_s"] = None
                    failed.append(key)
                    continue
                same = results.read_csv_rows(out_dir) == results.read_db_rows(db) == expected
                report.add(name, graph, wall, seconds, wall - seconds, mib, rows / seconds,
                           ratio(seconds, base_s), "yes" if same else "NO")
                metrics[f"{key}_s"] = seconds
                metrics[f"{key}_wall_s"] = wall
                metrics[f"{key}_startup_s"] = round(wall - seconds, 2)
                metrics[f"{key}_peak_mib"] = round(mib, 1)
                metrics[f"{key}_vs_duckdb"] = ratio(seconds, base_s)
                metrics[f"{key}_same"] = same
                best = min(best, seconds) if same else best
    metrics["best_vs_duckdb"] = ratio(best, base_s) if best < math.inf else None
    metrics["failed"] = failed
    _notes(report, runners, settings.runner_list(), settings.runners)
    report.finish(metrics)


def _declare(report: BenchReport, runners: list[str]) -> None:
    """The progress bar (DuckDB, then each runner's two graphs) and the chart's panels."""
    report.progress(1 + 2 * len(runners))
    report.chart("bar", x=["runner", "graph"], y=["process wall s", "pipeline s"], ylabel="s",
                 title="lower is better")
    report.chart("bar", x=["runner", "graph"], y="peak MiB", title="peak resident memory")


def _notes(report: BenchReport, runners: list[str], every: list[str], configured: str) -> None:
    report.note("process wall s: the whole process (interpreter, imports, Dask cluster start); pipeline s: "
                "construction to completion, which records/s and the ratio use; start-up s: the difference "
                "(the runner's import is in it, as DuckDB's is; "
                "Flink's and Spark's job-server start too; Prism's binary starts inside pipeline s)")
    report.note("per line: ReadFromText, one element per line; batched: blocks of 4 MiB, pyarrow per block, "
                "partial aggregates merged by CombinePerKey")
    if runners != every:
        report.note(f"quick: only {', '.join(runners)}; EX11_RUNNERS={configured} for all of them")
    report.note("peak MiB: resident memory of the process and all its children (workers), every 50 ms")


EXERCISE = Exercise(id="ex11", title=CATALOG["ex11"], services=(), run=run, bench=bench)
