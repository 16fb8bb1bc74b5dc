"""One pipeline, every local runner, identical results — checked against DuckDB and the input itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    PortableOptions,
    PrismRunnerOptions,
    StandardOptions,
)

from bootcamp.testing.plugin import Implementation
from exercises.ex11_beam_runners import baseline, results
from exercises.ex11_beam_runners.blocks import plan_blocks, read_block, split_lines
from exercises.ex11_beam_runners.config import RUNNERS
from exercises.ex11_beam_runners.portable import prism_location
from exercises.ex11_beam_runners.records import HEADER, DeadLetter, key_by_region_class, parse_line
from exercises.ex11_beam_runners.run import run_on


def which(impl: Implementation) -> str:
    return impl.package.rsplit(".", 1)[1]


@pytest.mark.parametrize(("runner", "runner_class", "mode"), [
    ("direct-in-memory", "FnApiRunner", "in_memory"),
    ("direct-multi-threading", "FnApiRunner", "multi_threading"),
    ("direct-multi-processing", "FnApiRunner", "multi_processing"),
    ("bundle-based-direct", "BundleBasedDirectRunner", None),
    ("prism", "PrismRunner", None),
])
def test_runner_options_select_the_runner(impl: Implementation, runner: str, runner_class: str,
                                          mode: str | None) -> None:
    options = PipelineOptions(impl.runners.runner_options(runner, workers=3))
    assert options.view_as(StandardOptions).runner == runner_class, \
        "name the runner you mean: a bare DirectRunner tries Prism first (a download) and falls back"
    if runner == "prism":
        assert options.view_as(PrismRunnerOptions).prism_location == prism_location(), \
            "without --prism_location at the project's binary, the PrismRunner downloads one from GitHub"
        assert options.view_as(PortableOptions).environment_type == "LOOPBACK", \
            "LOOPBACK: Prism calls back into this process to run the Python DoFns (no Docker here)"
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
    assert fn.extract_output(fn.merge_accumulators(parts)) == fn.extract_output(one) == (3, 17, 98, 90), \
        "the combiner's merge must equal one pass (a runner merges partial accumulators in any order)"
    left = fn.merge_accumulators([parts[0], fn.merge_accumulators(parts[1:])])
    right = fn.merge_accumulators([fn.merge_accumulators(parts[:2]), parts[2]])
    assert left == right == one, "merge_accumulators is not associative: the answer depends on the grouping"
    merge = pl.MergeStats()
    acc = merge.create_accumulator()
    for part in (parts[2], fn.merge_accumulators(parts[:2])):  # partials of one and of two requests
        acc = merge.add_input(acc, part)
    assert merge.extract_output(acc) == one, "MergeStats must merge partial Stats, not count them as requests"


def reference(lines: list[str]) -> tuple[dict[tuple[str, str], tuple[int, int, int, int]], list[DeadLetter]]:
    """What the per-line rules give for these lines: stats per key (plain Python) and dead letters."""
    stats: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    dead: list[DeadLetter] = []
    for line in lines:
        parsed = parse_line(line) if line != HEADER else None
        if isinstance(parsed, DeadLetter):
            dead.append(parsed)
        elif parsed is not None and parsed.path != "/healthz":
            key, r = key_by_region_class(parsed)
            n, b, s, m = stats.get(key, (0, 0, 0, 0))
            stats[key] = (n + 1, b + r.bytes_sent, s + r.latency_ms, max(m, r.latency_ms))
    return stats, sorted(dead)


def test_block_partials_equal_the_per_line_rules(impl: Implementation, logs: Path) -> None:
    probe = b"2026-03-02T00:00:02Z,id,1.2.3.4,GET,/healthz?probe=1,200,2,1,eu-west\n"
    data = logs.read_bytes() + b"\n" + probe
    stats, dead = reference(split_lines(data))
    out = impl.pipeline.block_partials(data)
    got_dead = sorted(item for item in out if isinstance(item, DeadLetter))
    got = [item for item in out if not isinstance(item, DeadLetter)]
    assert all(isinstance(v, int) for _, stats_ in got for v in stats_), "Stats hold Python ints"
    assert len(got) == len({key for key, _ in got}), "one partial per key and block"
    assert got_dead == dead, ("the dead letters differ from parse_line's (header dead-lettered? an empty "
                              "line or a short row lost?)")
    assert dict(got) == stats, "the partial aggregates differ from the per-line rules (health checks? sums?)"


def test_blocks_cover_every_line_once(logs: Path) -> None:
    """Provided code, checked here: blocks own the lines that start in them, whatever their size."""
    whole = split_lines(logs.read_bytes())
    for size in (1, 97, 4096, 10**9):
        pieces = [line for block in plan_blocks(str(logs), size) for line in split_lines(read_block(block))]
        assert pieces == whole, size


@pytest.mark.slow
@pytest.mark.usefixtures("no_downloads")
@pytest.mark.parametrize("batched", [False, True], ids=["per-line", "batched"])
@pytest.mark.parametrize("runner", RUNNERS)
def test_every_runner_gives_the_same_answer(impl: Implementation, runner: str, batched: bool, logs: Path,
                                            tmp_path: Path) -> None:
    """Every runner, Prism included, with any download failing the test (`no_downloads`)."""
    out, db = str(tmp_path / "out"), str(tmp_path / "stats.db")
    # blocks of 16 KiB: several even for this small file, so that the merge across blocks is tested
    report = run_on(runner, str(logs), out, db, batched=batched, block_bytes=16_384, impl=which(impl))
    assert report.state.endswith("DONE")
    csv_rows = results.read_csv_rows(out)
    assert csv_rows == results.read_db_rows(db), "the CSV and the database disagree"
    assert csv_rows == baseline.query(str(logs)), f"{runner} disagrees with DuckDB's SQL on the same file"
    dead = results.read_dead_letters(out)
    data = logs.read_text().splitlines()[1:]
    dead_lines = [line for _, line in dead]
    assert dead_lines, "2% of the input is malformed; it must reach the dead letters"
    assert set(dead_lines) <= set(data)
    health = sum(1 for line in data if line not in set(dead_lines) and line.split(",")[4] == "/healthz")
    assert sum(row[2] for row in csv_rows) + health + len(dead) == len(data), "lines were lost"
    assert dead == sorted((d.error, d.line) for d in reference(data)[1]), \
        "the dead letters differ from parse_line's"


def test_rerun_into_the_same_database_is_idempotent(impl: Implementation, logs: Path, tmp_path: Path) -> None:
    """At-least-once delivery retries bundles; the upsert makes a repeat write harmless."""
    db = str(tmp_path / "stats.db")
    run_on("direct-in-memory", str(logs), str(tmp_path / "a"), db, impl=which(impl))
    first = results.read_db_rows(db)
    run_on("bundle-based-direct", str(logs), str(tmp_path / "b"), db, batched=True, impl=which(impl))
    assert results.read_db_rows(db) == first, "a re-run changed the database: the sink is not idempotent"


@pytest.mark.parametrize("batched", [False, True], ids=["per-line", "batched"])
@pytest.mark.parametrize("runner", ["direct-in-memory", "dask"])
def test_missing_input_is_a_clear_error(impl: Implementation, runner: str, batched: bool,
                                        tmp_path: Path) -> None:
    with pytest.raises(OSError, match="No files found"):
        run_on(runner, str(tmp_path / "none-*.csv"), str(tmp_path / "o"), str(tmp_path / "d.db"),
               dask_address="tcp://127.0.0.1:1" if runner == "dask" else None, batched=batched,
               impl=which(impl))
