"""One pipeline, every local runner, identical results — checked against DuckDB and the input itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions

from bootcamp.testing.plugin import Implementation
from exercises.ex11_beam_runners import baseline

RUNNERS = ("direct-in-memory", "direct-multi-threading", "direct-multi-processing", "bundle-based-direct",
           "dask")


@pytest.mark.parametrize(("runner", "runner_class", "mode"), [
    ("direct-in-memory", "DirectRunner", "in_memory"),
    ("direct-multi-threading", "DirectRunner", "multi_threading"),
    ("direct-multi-processing", "DirectRunner", "multi_processing"),
    ("bundle-based-direct", "BundleBasedDirectRunner", None),
])
def test_runner_options_select_the_runner(impl: Implementation, runner: str, runner_class: str,
                                          mode: str | None) -> None:
    options = PipelineOptions(impl.runners.runner_options(runner, workers=3))
    assert options.view_as(StandardOptions).runner == runner_class
    if mode:
        direct = options.view_as(DirectOptions)
        assert direct.direct_running_mode == mode
        assert direct.direct_num_workers == (1 if mode == "in_memory" else 3)


def test_dask_options_need_a_scheduler(impl: Implementation) -> None:
    args = impl.runners.runner_options("dask", dask_address="tcp://127.0.0.1:8786")
    assert "--dask_client_address=tcp://127.0.0.1:8786" in args
    assert any(arg.endswith("dask_runner.DaskRunner") for arg in args)
    with pytest.raises(ValueError, match="scheduler"):
        impl.runners.runner_options("dask")
    with pytest.raises(ValueError, match="unknown runner"):
        impl.runners.runner_options("flink")


def test_combiner_merge_equals_one_pass(impl: Implementation) -> None:
    pl = impl.pipeline
    requests = [pl.Request("/", 200, 10, 5, "eu-west"), pl.Request("/", 503, 0, 90, "eu-west"),
                pl.Request("/a", 200, 7, 3, "eu-west")]
    fn = pl.RegionStats()
    one = fn.create_accumulator()
    for r in requests:
        one = fn.add_input(one, r)
    parts = [fn.add_input(fn.create_accumulator(), r) for r in requests]
    assert fn.extract_output(fn.merge_accumulators(parts)) == fn.extract_output(one) == (3, 17, 98, 90)


@pytest.mark.slow
@pytest.mark.parametrize("runner", RUNNERS)
def test_every_runner_gives_the_same_answer(impl: Implementation, runner: str, logs: Path,
                                            tmp_path: Path) -> None:
    out, db = str(tmp_path / "out"), str(tmp_path / "stats.db")
    report = impl.runners.run_on(runner, str(logs), out, db)
    assert report.state.endswith("DONE")
    csv_rows = impl.results.read_csv_rows(out)
    assert csv_rows == impl.results.read_db_rows(db)  # both sinks agree
    assert csv_rows == baseline.query(str(logs))  # and agree with DuckDB's SQL on the same file
    dead = impl.results.read_dead_letters(out)
    data = logs.read_text().splitlines()[1:]
    dead_lines = [line for _, line in dead]
    assert dead_lines, "2% of the input is malformed; it must reach the dead letters"
    assert set(dead_lines) <= set(data)
    health = sum(1 for line in data if line not in set(dead_lines) and line.split(",")[4] == "/healthz")
    assert sum(row[2] for row in csv_rows) + health + len(dead) == len(data)  # nothing lost


def test_rerun_into_the_same_database_is_idempotent(impl: Implementation, logs: Path, tmp_path: Path) -> None:
    """At-least-once delivery retries bundles; the upsert makes a repeat write harmless."""
    db = str(tmp_path / "stats.db")
    impl.runners.run_on("direct-in-memory", str(logs), str(tmp_path / "a"), db)
    first = impl.results.read_db_rows(db)
    impl.runners.run_on("bundle-based-direct", str(logs), str(tmp_path / "b"), db)
    assert impl.results.read_db_rows(db) == first


@pytest.mark.parametrize("runner", ["direct-in-memory", "dask"])
def test_missing_input_is_a_clear_error(impl: Implementation, runner: str, tmp_path: Path) -> None:
    with pytest.raises(OSError, match="No files found"):
        impl.runners.run_on(runner, str(tmp_path / "none-*.csv"), str(tmp_path / "o"), str(tmp_path / "d.db"),
                            dask_address="tcp://127.0.0.1:1" if runner == "dask" else None)
