"""Exercise 1's manifest: what `bootcamp run`, `check` and `bench` need to know."""

from __future__ import annotations

from bootcamp.exercises import CATALOG, Exercise, RunResult


def _run(quick: bool) -> RunResult:
    from exercises.ex01_kafka_transform.run import run

    return run(quick)


def _bench(quick: bool) -> None:
    from exercises.ex01_kafka_transform.bench import bench

    bench(quick)


EXERCISE = Exercise(id="ex01", title=CATALOG["ex01"], services=("kafka",), run=_run, bench=_bench)
