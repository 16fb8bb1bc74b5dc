"""ex07 manifest: `bootcamp run ex07` runs both pipelines on gs:// (the local emulator) and compares."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bootcamp.bench import BenchReport, Stopwatch, ratio
from bootcamp.datasets.weblogs import write_csv
from bootcamp.errors import BootcampError
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.services import get_service
from exercises.ex07_spark_to_beam.records import STATS_HEADER

console = Console()


def _point_at_gcs() -> str:
    """Export STORAGE_EMULATOR_HOST for a running emulator (unless the user set an endpoint)."""
    env = get_service("gcs").client_env()
    if not env and not os.environ.get("STORAGE_EMULATOR_HOST"):
        raise BootcampError("no Cloud Storage endpoint", hint="bootcamp up gcs, or set STORAGE_EMULATOR_HOST")
    os.environ.update(env)
    return os.environ["STORAGE_EMULATOR_HOST"]


def run(quick: bool) -> RunResult:
    from google.api_core.exceptions import Conflict

    from exercises.ex07_spark_to_beam import results, runtime, spark_job, storage
    from exercises.ex07_spark_to_beam.config import Ex07Settings
    from exercises.ex07_spark_to_beam.solution import beam_pipeline

    settings = Ex07Settings()
    endpoint = _point_at_gcs()
    rows = 5_000 if quick else settings.rows
    client = storage.client()
    with contextlib.suppress(Conflict):
        client.create_bucket(settings.bucket)
    prefix = f"run-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory(prefix="ex07-") as tmp:
        source = write_csv(Path(tmp) / "logs.csv", rows, settings.seed, settings.bad_fraction)
        client.bucket(settings.bucket).blob(f"{prefix}/input/logs.csv").upload_from_filename(str(source))
    base = settings.gs(prefix)
    console.print(f"input: {base}/input/logs.csv ({rows:,} lines) on {endpoint}")
    with Stopwatch() as beam_time:
        runtime.run(beam_pipeline.build, f"{base}/input/*.csv", f"{base}/beam/stats", f"{base}/beam/dead",
                    settings.beam_args.split())
    spark = spark_job.spark_session(partitions=settings.spark_partitions)
    try:
        with Stopwatch() as spark_time:
            counts = spark_job.run(spark, f"{base}/input/*.csv", f"{base}/spark/stats", f"{base}/spark/dead",
                                   settings.spark_gcs_mode)
        connector = spark_job.has_gcs_connector(spark)
    finally:
        spark.stop()
    beam_stats = results.read_stats(f"{base}/beam/stats")
    spark_stats = results.read_stats(f"{base}/spark/stats")
    beam_dead = results.read_dead_letters(f"{base}/beam/dead")
    same = beam_stats == spark_stats and beam_dead == results.read_dead_letters(f"{base}/spark/dead")
    table = Table(title=f"{base}/beam/stats (first rows)")
    for column in STATS_HEADER.split(","):
        table.add_column(column)
    for row in beam_stats[:6]:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    how = "direct (GCS connector)" if connector else "staged through google-cloud-storage"
    return RunResult(
        ok=same and bool(beam_stats),
        summary=(f"Beam and Spark outputs {'identical' if same else 'DIFFER'} on gs:// "
                 f"({len(beam_stats)} stats rows, {len(beam_dead)} dead letters); Spark gs:// {how}"),
        figures={"lines": f"{rows}", "stats_rows": str(len(beam_stats)),
                 "dead_letters": str(counts.dead_letters),
                 "beam_s": f"{beam_time.seconds:.1f}", "spark_s": f"{spark_time.seconds:.1f}"},
    )


_DUCKDB_QUERY = """
SELECT substr(timestamp, 1, 13) || ':00:00Z' AS hour,
       regexp_replace(split_part(path, '?', 1), '/[0-9]+(/|$)', '/{id}\\1', 'g') AS endpoint,
       count(*) AS requests,
       sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS server_errors,
       sum(bytes_sent) AS bytes_sent, sum(latency_ms) AS latency_ms_sum, max(latency_ms) AS latency_ms_max
FROM read_csv(?, header = true, types = {'timestamp': 'VARCHAR', 'status': 'INTEGER',
                                         'bytes_sent': 'BIGINT', 'latency_ms': 'BIGINT'})
WHERE split_part(path, '?', 1) <> '/healthz'
GROUP BY ALL ORDER BY hour, endpoint
"""


def bench(quick: bool) -> None:
    """Spark and Beam (FnApiRunner) on the same clean input, DuckDB's SQL as the baseline."""
    import duckdb

    from exercises.ex07_spark_to_beam import results, runtime, spark_job
    from exercises.ex07_spark_to_beam.solution import beam_pipeline

    rows = 10_000 if quick else 500_000  # quick: proves every step runs
    report = BenchReport("ex07", f"ex07: access-log stats, {rows:,} lines (local files)",
                         ["engine", "seconds", "lines/s", "x DuckDB time"])
    report.progress(4)
    report.chart("bar", x="engine", y="seconds", title="wall time of the same job (lower is better)")
    with tempfile.TemporaryDirectory(prefix="ex07-bench-") as tmp:
        source = write_csv(Path(tmp) / "logs.csv", rows, seed=3)
        with report.step("DuckDB"), Stopwatch() as duck:
            expected = duckdb.execute(_DUCKDB_QUERY, [str(source)]).fetchall()
        spark = spark_job.spark_session()
        try:
            with report.step("Spark warm-up"):  # JVM JIT and class loading are not the pipeline's cost
                spark_job.run(spark, str(source), f"{tmp}/warm/s", f"{tmp}/warm/d")
            with report.step("Spark"), Stopwatch() as spark_time:
                spark_job.run(spark, str(source), f"{tmp}/spark/s", f"{tmp}/spark/d")
        finally:
            spark.stop()
        with report.step("Beam FnApiRunner"), Stopwatch() as beam_time:
            runtime.run(beam_pipeline.build, str(source), f"{tmp}/beam/s", f"{tmp}/beam/d")
        agree = results.read_stats(f"{tmp}/beam/s") == results.read_stats(f"{tmp}/spark/s") == [
            tuple(row) for row in expected]
    for name, seconds in (("DuckDB (baseline)", duck.seconds), ("Spark local[*]", spark_time.seconds),
                          ("Beam FnApiRunner", beam_time.seconds)):
        report.add(name, seconds, rows / seconds, ratio(seconds, duck.seconds))
    report.note(f"all three engines agree on every row: {agree}")
    report.note("Spark is timed after a warm-up run on the same session; its session start is not counted")
    report.finish({"rows": rows, "duckdb_s": duck.seconds, "spark_s": spark_time.seconds,
                   "beam_fnapi_s": beam_time.seconds,
                   "spark_vs_duckdb": ratio(spark_time.seconds, duck.seconds),
                   "beam_vs_duckdb": ratio(beam_time.seconds, duck.seconds),
                   "beam_vs_spark": ratio(beam_time.seconds, spark_time.seconds), "outputs_agree": agree})


EXERCISE = Exercise(id="ex07", title=CATALOG["ex07"], services=("gcs",), run=run, bench=bench)
