"""Exercise 8: real-time auctions (REST, WebSockets, PostgreSQL) — the manifest the CLI reads."""

from __future__ import annotations

from bootcamp.exercises import CATALOG, Exercise, RunResult


def run(quick: bool) -> RunResult:
    from .run import run as run_auction

    return run_auction(quick)


def bench(quick: bool) -> None:
    from .benchmark import bench as run_bench

    run_bench(quick)


EXERCISE = Exercise(id="ex08", title=CATALOG["ex08"], services=("postgres",), run=run, bench=bench)
