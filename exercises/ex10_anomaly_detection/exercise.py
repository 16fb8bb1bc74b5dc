"""ex10 manifest (placeholder while building)."""
from __future__ import annotations

from bootcamp.exercises import CATALOG, Exercise, RunResult


def run(quick: bool) -> RunResult:
    return RunResult(False, "not built")


def bench(quick: bool) -> None:
    return None


EXERCISE = Exercise(id="ex10", title=CATALOG["ex10"], services=("cassandra", "influxdb"),
                    run=run, bench=bench)
