"""Exercise 14 manifest: `bootcamp run ex14` prints the summary table; `bootcamp bench ex14` times each
runner against DuckDB.

No platform service: the fake GitHub/Jira/Slack APIs (`fake.py`) run in a thread of the process that
runs the pipeline, on a free 127.0.0.1 port, serving a generated organisation. The tests also use the
`octokit` service (GitHub's recorded answers, `tests/test_recorded_github.py`), which they start
themselves; `run` and `bench` do not use it, so it is not declared here.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bootcamp.bench import BenchReport, ratio
from bootcamp.errors import BootcampError
from bootcamp.exercises import CATALOG, Exercise, RunResult

_PKG = "exercises.ex14_developer_productivity"


def run(quick: bool) -> RunResult:
    """The pipeline on the DirectRunner's FnApiRunner (and, unless quick, on Prism, compared), the team
    summary printed with how complete it is."""
    import logging

    from exercises.ex14_developer_productivity import generator, tables
    from exercises.ex14_developer_productivity import run as runner
    from exercises.ex14_developer_productivity.config import Ex14Settings

    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    logging.getLogger("PrismRunner").setLevel(logging.WARNING)
    settings = Ex14Settings()
    impl = os.environ.get("BOOTCAMP_IMPL", "solution")
    world = generator.generate(settings.seed, "tiny" if quick else settings.size)
    console = Console()
    if not console.is_terminal:  # piped: wide enough for the whole table rather than 80 columns
        console = Console(width=120)
    with tempfile.TemporaryDirectory(prefix="ex14-run-") as tmp:
        report = runner.run_world(world, "direct", f"{tmp}/direct", impl, settings.grain, settings.workers)
        same = True
        if not quick:
            runner.run_world(world, "prism", f"{tmp}/prism", impl, settings.grain, settings.workers)
            same = all(tables.read_csv(f"{tmp}/direct", t) == tables.read_csv(f"{tmp}/prism", t)
                       for t in tables.TABLES)
        team = tables.read_csv(f"{tmp}/direct", "team_metrics")
        dora = {(r[0], r[1]): r for r in tables.read_csv(f"{tmp}/direct", "dora")}
    table = Table(title=f"ex14: per team and {settings.grain} ({report.runner}, {report.seconds:.1f} s)")
    shown = {"period": "period", "team": "team", "developers": "devs", "commits": "commits",
             "prs_merged": "merged", "pr_cycle_time_h": "cycle h", "review_turnaround_h": "review h",
             "issues_resolved": "issues", "slack_messages": "msgs"}
    for header in (*shown.values(), "deploys", "lead h"):
        table.add_column(header, no_wrap=True)
    for row in team:
        cells = dict(zip(tables.TEAM_COLUMNS, row, strict=True))
        d = dora.get((row[0], row[1]))
        table.add_row(*(cells[c] for c in shown), d[2] if d else "", d[4] if d else "")
    console.print(table)
    s = report.summary
    completeness = (f"{s['attributed_pct']}% of {s['activities']} activities attributed to a known person; "
                    f"{s['unmapped_identities']} identities not in the table ({s['unmapped_activities']} "
                    f"activities, kept as unmapped); {s['dead_letters']} dead letters "
                    f"({s['dead_pages']} unreadable pages)")
    console.print(f"completeness: {completeness}")
    if not quick:
        console.print(f"Prism's output identical to the FnApiRunner's: {same}")
    return RunResult(ok=report.state.endswith("DONE") and same and s["developer_rows"] > 0,
                     summary=f"{len(team)} team rows; {completeness}",
                     figures={"activities": str(s["activities"]), "attributed_pct": str(s["attributed_pct"]),
                              "dead_letters": str(s["dead_letters"])})


def _child(argv: list[str]) -> tuple[float, float, dict[str, Any]]:
    """(process wall s, peak MiB of its tree, its last JSON line), with ex11's sampler."""
    from exercises.ex11_beam_runners.exercise import _measure

    wall, mib, out = _measure(argv)
    return wall, mib, json.loads(out.strip().splitlines()[-1])


def bench(quick: bool) -> None:
    """Each runner in its own process on the same generated organisation (the fake in that process);
    DuckDB's SQL over the same data as files, in its own process, as the baseline."""
    sizes = ["small"] if quick else ["small", "large"]
    runners = ["direct"] if quick else ["direct", "prism"]
    report = BenchReport("ex14", "ex14: developer metrics from GitHub, Jira, Slack (fake APIs), per runner",
                         ["size", "runner", "process wall s", "pipeline s", "start-up s", "peak MiB",
                          "x DuckDB time"])
    report.progress(len(sizes) * (1 + len(runners)))
    report.chart("bar", x=["size", "runner"], y=["process wall s", "pipeline s"], ylabel="s",
                 title="lower is better")
    report.chart("bar", x=["size", "runner"], y="peak MiB", title="peak resident memory")
    metrics: dict[str, Any] = {"sizes": sizes, "runners": runners}
    for size in sizes:
        try:
            with report.step(f"{size}: DuckDB"):
                wall, mib, out = _child([sys.executable, "-m", f"{_PKG}.baseline", "--size", size])
            base = float(out["seconds"])
            report.add(size, "DuckDB (baseline)", wall, base, wall - base, mib, 1.0)
        except (BootcampError, ValueError, KeyError) as exc:
            base = math.nan
            report.note(f"{size}: DuckDB measured nothing: {exc}")
        metrics[f"{size}_duckdb_s"] = base
        for name in runners:
            with tempfile.TemporaryDirectory(prefix="ex14-bench-") as tmp:
                try:
                    with report.step(f"{size}: {name}"):
                        wall, mib, out = _child([sys.executable, "-m", f"{_PKG}.run", "--runner", name,
                                                 "--size", size, "--output", str(Path(tmp) / "out")])
                except (BootcampError, ValueError, KeyError) as exc:
                    report.note(f"{size}: {name} measured nothing: {exc}")
                    metrics[f"{size}_{name}_s"] = None
                    continue
            seconds = float(out["seconds"])
            report.add(size, name, wall, seconds, wall - seconds, mib, ratio(seconds, base))
            metrics |= {f"{size}_{name}_s": seconds, f"{size}_{name}_wall_s": wall,
                        f"{size}_{name}_startup_s": round(wall - seconds, 2),
                        f"{size}_{name}_peak_mib": round(mib, 1),
                        f"{size}_{name}_vs_duckdb": ratio(seconds, base),
                        f"{size}_{name}_activities": out.get("activities")}
    report.note("pipeline s: construction to completion, every request to the fake included (the fake "
                "serves from the same process); DuckDB's: the SQL over files already written (the export "
                "the pipeline does not need). start-up s: process wall minus that (interpreter, imports, "
                "generating the organisation, starting the fake).")
    report.note("flink, spark: not run. Beam's job-server jars are not served by the Maven repository "
                "this machine reaches (see ex11's README); `--runner flink` says so in one line.")
    if quick:
        report.note("quick: the small organisation on the FnApiRunner only; full mode adds Prism and the "
                    "large organisation")
    report.finish(metrics)


EXERCISE = Exercise(id="ex14", title=CATALOG["ex14"], services=(), run=run, bench=bench,
                    test_services=("octokit",))
