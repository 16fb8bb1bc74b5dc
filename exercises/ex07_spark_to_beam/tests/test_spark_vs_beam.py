"""The migration's acceptance test: the Beam pipeline gives exactly the Spark job's output."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from bootcamp.datasets.weblogs import HEADER
from bootcamp.testing.plugin import Implementation
from exercises.ex07_spark_to_beam import results, runtime, spark_job, storage


def _run_both(impl: Implementation, spark: SparkSession, input_pattern: str,
              out: str) -> dict[str, list[Any]]:
    # Beam first: on the starter it fails fast, before the slower Spark job.
    runtime.run(impl.beam_pipeline.build, input_pattern, f"{out}/beam/stats", f"{out}/beam/dead")
    spark_job.run(spark, input_pattern, f"{out}/spark/stats", f"{out}/spark/dead")
    return {engine: [results.read_stats(f"{out}/{engine}/stats"),
                     results.read_dead_letters(f"{out}/{engine}/dead")] for engine in ("beam", "spark")}


@pytest.mark.slow
def test_identical_output_on_generated_logs(impl: Implementation, spark: SparkSession, generated_logs: Path,
                                            tmp_path: Path) -> None:
    got = _run_both(impl, spark, str(generated_logs), str(tmp_path))
    beam_stats, beam_dead = got["beam"]
    spark_stats, spark_dead = got["spark"]
    assert beam_stats == spark_stats
    assert beam_dead == spark_dead
    # Nothing is lost: every data line is either counted, a health check, or a dead letter.
    data_lines = generated_logs.read_text().splitlines()[1:]
    dead_lines = {line for _, line in beam_dead}
    health = sum(1 for line in data_lines if line not in dead_lines and line.split(",")[4] == "/healthz")
    assert sum(row[2] for row in beam_stats) + health + len(beam_dead) == len(data_lines)
    assert beam_dead, "the generated input has malformed lines; they must reach the dead letters"
    assert all(line in data_lines for line in dead_lines)


HANDWRITTEN = [
    HEADER,
    "2026-03-02T10:05:00Z,a1,10.0.0.1,GET,/api/orders/1,200,100,10,eu-west",
    "2026-03-02T10:59:59Z,a2,10.0.0.2,POST,/api/orders/22?x=1,503,0,400,us-east",
    "2026-03-02T11:00:00Z,a3,10.0.0.3,GET,/api/orders/3,200,50,30,eu-west",
    "2026-03-02T10:30:00Z,a4,10.0.0.4,GET,/healthz,200,2,1,eu-west",
    "2026-03-02T10:31:00Z,a5,10.0.0.5,GET,/api/orders/9,2OO,10,1,eu-west",
    "garbage",
    "",
]
# Worked out by hand from HANDWRITTEN: what the Spark job writes for it.
HANDWRITTEN_STATS = [
    ("2026-03-02T10:00:00Z", "/api/orders/{id}", 2, 1, 100, 410, 400),
    ("2026-03-02T11:00:00Z", "/api/orders/{id}", 1, 0, 50, 30, 30),
]
HANDWRITTEN_DEAD = [("bad_status", HANDWRITTEN[5]), ("field_count", ""), ("field_count", "garbage")]


def test_beam_output_on_handwritten_logs(impl: Implementation, tmp_path: Path) -> None:
    """The Beam side alone against the aggregate worked out by hand (fast: no Spark session)."""
    source = tmp_path / "in.csv"
    source.write_text("\n".join(HANDWRITTEN) + "\n")
    runtime.run(impl.beam_pipeline.build, str(source), str(tmp_path / "stats"), str(tmp_path / "dead"))
    stats = results.read_stats(str(tmp_path / "stats"))
    keys, expected_keys = [row[:2] for row in stats], [row[:2] for row in HANDWRITTEN_STATS]
    assert keys == expected_keys, (
        f"Beam grouped into {keys}; the Spark job groups by (hour, normalised endpoint) into "
        f"{expected_keys}: key every record by (hour_of(timestamp), normalise_endpoint(path))")
    assert stats == HANDWRITTEN_STATS
    dead = results.read_dead_letters(str(tmp_path / "dead"))
    assert dead == HANDWRITTEN_DEAD, (
        f"dead letters written: {dead}; expected {HANDWRITTEN_DEAD}: every line that fails validation "
        "must reach the dead-letter output with its original text, never be dropped")


def test_identical_output_on_handwritten_logs(impl: Implementation, spark: SparkSession,
                                              tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("\n".join(HANDWRITTEN) + "\n")
    got = _run_both(impl, spark, str(source), str(tmp_path / "out"))
    assert got["beam"] == got["spark"]
    assert got["spark"] == [HANDWRITTEN_STATS, HANDWRITTEN_DEAD]


def test_missing_input_is_a_clear_error(impl: Implementation, tmp_path: Path) -> None:
    with pytest.raises(OSError, match="No files found"):
        runtime.run(impl.beam_pipeline.build, str(tmp_path / "nothing-*.csv"), str(tmp_path / "o"),
                    str(tmp_path / "d"))


@pytest.mark.integration
@pytest.mark.slow
def test_gcs_paths_on_the_local_emulator(impl: Implementation, spark: SparkSession,
                                        local_service: Callable[[str], str],
                                        generated_logs: Path) -> None:
    """Both pipelines read and write gs:// on the emulator, chosen by configuration alone."""
    local_service("gcs")
    from google.api_core.exceptions import Conflict

    client = storage.client()
    bucket_name = "bootcamp-ex07-tests"
    with contextlib.suppress(Conflict):
        client.create_bucket(bucket_name)
    prefix = uuid.uuid4().hex
    run = f"gs://{bucket_name}/{prefix}"
    client.bucket(bucket_name).blob(f"{prefix}/input/logs.csv").upload_from_filename(str(generated_logs))
    got = _run_both(impl, spark, f"{run}/input/*.csv", f"{run}/out")
    assert got["beam"] == got["spark"]
    assert got["beam"][0]
    assert got["beam"][1]
    names = [blob.name for blob in client.list_blobs(bucket_name, prefix=prefix)]
    assert any("/out/beam/stats/part-" in name for name in names)
    assert any("/out/spark/stats/part-" in name for name in names)
