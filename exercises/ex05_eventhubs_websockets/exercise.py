"""Exercise 5: real-time visualisation with Event Hubs (its Kafka endpoint) and WebSockets — the
manifest the CLI reads."""

from __future__ import annotations

from bootcamp.exercises import CATALOG, Exercise, RunResult


def run(quick: bool) -> RunResult:
    from .run import run as run_it

    return run_it(quick)


def bench(quick: bool) -> None:
    from .benchmark import bench as run_bench

    run_bench(quick)


EXERCISE = Exercise(id="ex05", title=CATALOG["ex05"], services=("kafka",), run=run, bench=bench)
