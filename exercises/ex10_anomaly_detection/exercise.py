"""ex10 manifest: `bootcamp run ex10` and `bootcamp bench ex10`.

Both need the local Cassandra and InfluxDB (the CLI starts them and exports CASSANDRA_CONTACT_POINTS
and INFLUXDB_URL). The pipeline runs on Beam's FnApiRunner, named (`--runner=FnApiRunner`; a bare
DirectRunner would first try to download Prism).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bootcamp.bench import BenchReport, Stopwatch, ratio
from bootcamp.cassandra import cluster_from_env
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.paths import state_dir
from exercises.ex10_anomaly_detection import generator, influx, pipeline, scoring
from exercises.ex10_anomaly_detection.records import TABLE, create_schema

console = Console()
RUN_DETECTORS = ("iqr", "shesd", "lof")


def _impl() -> str:
    return os.environ.get("BOOTCAMP_IMPL", "solution")


def _fresh_keyspace(session: Any, keyspace: str) -> None:
    session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
    create_schema(session, keyspace)


def run(quick: bool) -> RunResult:
    """Generate labelled series into Cassandra, run the pipeline (IQR, S-H-ESD, LOF) into InfluxDB
    twice, score each detector against the labels, and plot each device."""
    devices, days = (6, 7) if quick else (20, 14)
    keyspace = "ex10_run"
    out = state_dir() / "ex10" / "run"
    shutil.rmtree(out, ignore_errors=True)
    cluster = cluster_from_env()
    try:
        session = cluster.connect()
        _fresh_keyspace(session, keyspace)
        series = generator.generate(devices, days)
        rows = generator.rows_of(series) + generator.bad_rows()
        with Stopwatch() as sw:
            written = generator.write_rows(session, keyspace, rows)
        console.print(f"wrote {written} rows ({devices} devices x {days} days + 3 bad ones) to "
                      f"{keyspace}.{TABLE} in {sw.seconds:.1f}s ({written / sw.seconds:,.0f} rows/s)")
    finally:
        cluster.shutdown()
    settings_influx = influx.InfluxSettings.from_env(database="ex10_run")
    influx.drop_database(settings_influx)
    settings = pipeline.PipelineSettings(keyspace=keyspace, influx=settings_influx, out_dir=out / "first",
                                         detectors=RUN_DETECTORS, splits=8)
    with Stopwatch() as sw:
        report = pipeline.run(settings, impl=_impl())
    console.print(f"pipeline: {report.ranges} token ranges, {report.counts} in {sw.seconds:.1f}s")
    for letter in report.dead_letters:
        console.print(f"  dead letter: {letter['reason']}: {letter['row']}")
    points = influx.count_points(settings_influx)
    again = pipeline.run(dataclasses.replace(settings, out_dir=out / "second"), impl=_impl())
    points_again = influx.count_points(settings_influx)
    console.print(f"InfluxDB points after run 1: {points}, after run 2 (a re-run): {points_again}")
    truth = scoring.labelled_keys(series)
    found = {name: influx.anomaly_keys(settings_influx, name) for name in RUN_DETECTORS}
    table = Table(title=f"ex10: detectors against {len(truth)} labelled anomalous readings")
    for column in ("detector", "flagged", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column == "detector" else "right")
    scores = {name: scoring.score(keys, truth) for name, keys in found.items()}
    for name, s in scores.items():
        table.add_row(name, str(s.found), f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}")
    console.print(table)
    plots = [scoring.plot_device(s, found, out / "plots" / f"{s.device_id}.png") for s in series]
    console.print(f"plots: {plots[0].parent} ({len(plots)} PNG, one per device)")
    ok = (report.count("rows_read") == written and report.count("dead_letters") == 3
          and points == points_again == report.count("points_written") and not report.failed_points
          and again.count("anomalies") == report.count("anomalies") and scores["shesd"].f1 > 0.5)
    return RunResult(ok, f"{report.count('rows_read')} rows read over {report.ranges} token ranges, "
                     f"{report.count('dead_letters')} dead-lettered, {points} anomaly points (same after a "
                     f"re-run: {points == points_again}); S-H-ESD F1 {scores['shesd'].f1:.2f}",
                     {"rows": str(written), "points": str(points),
                      **{f"f1_{n}": f"{s.f1:.2f}" for n, s in scores.items()}})


def _detect_all(name: str, series: list[generator.Series]) -> tuple[scoring.Score, float]:
    flags_of = pipeline.detector(name, _impl())
    found: set[tuple[str, int]] = set()
    began = time.perf_counter()
    for s in series:
        flags = flags_of(s.values, generator.PER_DAY)
        found |= {(s.device_id, int(s.ts[i].timestamp() * 1000)) for i in np.flatnonzero(flags)}
    elapsed = time.perf_counter() - began
    return scoring.score(found, scoring.labelled_keys(series)), elapsed


def _read_rate(session: Any, keyspace: str, splits: int) -> tuple[int, float]:
    """Rows/s reading the whole table over `splits` token ranges, one thread per range."""
    token_ranges = pipeline.impl_module(_impl(), "token_ranges")
    ranges = token_ranges.split_ring(pipeline.ring_tokens(), splits)
    statement = session.prepare(token_ranges.range_query(keyspace, TABLE))

    def count(r: Any) -> int:
        return sum(1 for _ in token_ranges.read_range(session, statement, r, 5000))

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
        rows = sum(pool.map(count, ranges))
    return rows, rows / (time.perf_counter() - began)


def bench(quick: bool) -> None:
    devices, days = (12, 7) if quick else (100, 14)
    read_devices, read_days = (6, 14) if quick else (40, 28)
    splits = 8
    report = BenchReport("ex10", f"ex10: detectors on {devices} devices x {days} days (15-min readings); "
                         f"Cassandra read of {read_devices * read_days * generator.PER_DAY} rows",
                         ["what", "kind", "F1", "precision", "recall", "seconds", "rows/s"])
    report.progress(7)
    report.chart("bar", x="what", y=["F1", "precision", "recall"],
                 where=lambda r: r["kind"] == "detector",
                 title="detectors against the labels (z-score: the baseline)", ylabel="score")
    report.chart("bar", x="what", y="rows/s", where=lambda r: r["kind"] == "read",
                 title=f"Cassandra full-table read: 1 vs {splits} token ranges", ylabel="rows/s")
    series = generator.generate(devices, days, seed=20)
    results: dict[str, tuple[scoring.Score, float]] = {}
    for name in ("zscore", "iqr", "shesd", "lof"):
        with report.step(f"detector {name}"):
            results[name] = _detect_all(name, series)
        s, seconds = results[name]
        report.add(f"{name}{' (baseline)' if name == 'zscore' else ''}", "detector", s.f1, s.precision,
                   s.recall, seconds, "")
    cluster = cluster_from_env()
    try:
        session = cluster.connect()
        keyspace = "ex10_bench"
        with report.step("writing the read set to Cassandra"):
            _fresh_keyspace(session, keyspace)
            rows = generator.rows_of(generator.generate(read_devices, read_days, seed=21))
            with Stopwatch() as sw:
                written = generator.write_rows(session, keyspace, rows, concurrency=128)
            write_rate = written / sw.seconds
        report.add("prepared concurrent inserts (128 in flight)", "write", "", "", "", sw.seconds, write_rate)
        with report.step("read, warm-up (unmeasured: the first read pays for cold caches)"):
            _read_rate(session, keyspace, splits)
        ones: list[tuple[int, float]] = []
        manys: list[tuple[int, float]] = []
        with report.step(f"read, 1 vs {splits} token ranges, alternating, 5 rounds"):
            for _ in range(5):
                ones.append(_read_rate(session, keyspace, 1))
                manys.append(_read_rate(session, keyspace, splits))
        one_rows, one_rate = ones[0][0], float(np.median([rate for _, rate in ones]))
        many_rows, many_rate = manys[0][0], float(np.median([rate for _, rate in manys]))
    finally:
        cluster.shutdown()
    report.add("read, 1 token range", "read", "", "", "", one_rows / one_rate, one_rate)
    report.add(f"read, {splits} token ranges in parallel", "read", "", "", "", many_rows / many_rate,
               many_rate)
    report.note("detector seconds: all devices, one process, no Beam; scores are point-wise against the "
                "labels")
    report.note(f"reads: one Python process, one driver session, a thread per range; the median of 5 "
                f"alternating rounds after a warm-up; {one_rows} and {many_rows} rows read (the table "
                f"holds {written})")
    base = results["zscore"][0].f1
    report.finish({
        **{f"f1_{n}": s.f1 for n, (s, _) in results.items()},
        **{f"seconds_{n}": t for n, (_, t) in results.items()},
        "f1_shesd_vs_zscore": ratio(results["shesd"][0].f1, base),
        "f1_lof_vs_zscore": ratio(results["lof"][0].f1, base),
        "write_rows_per_s": write_rate,
        "read_rows_per_s_1_range": one_rate, f"read_rows_per_s_{splits}_ranges": many_rate,
        f"read_{splits}_vs_1_ranges": ratio(many_rate, one_rate),
        "rows_read_complete": one_rows == many_rows == written,
    })


EXERCISE = Exercise(id="ex10", title=CATALOG["ex10"], services=("cassandra", "influxdb"),
                    run=run, bench=bench)
