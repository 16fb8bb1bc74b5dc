"""Exercise 4's manifest: what `bootcamp run`, `check` and `bench` need to know."""

from __future__ import annotations

from bootcamp.exercises import CATALOG, Exercise, RunResult


def _run(quick: bool) -> RunResult:
    from exercises.ex04_kinesis_lambda.run import run

    return run(quick)


def _bench(quick: bool) -> None:
    from exercises.ex04_kinesis_lambda.bench import bench

    bench(quick)


EXERCISE = Exercise(id="ex04", title=CATALOG["ex04"], services=("kinesis",), run=_run, bench=_bench)
