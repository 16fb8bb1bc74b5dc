"""Exercise 9's manifest: what `bootcamp run`, `check` and `bench` need to know."""

from __future__ import annotations

from bootcamp.exercises import CATALOG, Exercise, RunResult


def _run(quick: bool) -> RunResult:
    from exercises.ex09_flink_sentiment.run import run

    return run(quick)


def _bench(quick: bool) -> None:
    from exercises.ex09_flink_sentiment.bench import bench

    bench(quick)


EXERCISE = Exercise(id="ex09", title=CATALOG["ex09"], services=("kafka",), run=_run, bench=_bench)
