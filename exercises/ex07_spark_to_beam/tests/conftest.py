"""Shared fixtures: one Spark session for the whole test session (a JVM start costs ~15 s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from bootcamp.datasets.weblogs import write_csv


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from exercises.ex07_spark_to_beam.spark_job import spark_session

    session = spark_session("ex07-tests", partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def generated_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 seeded log lines, 2% of them malformed in the ways real logs are."""
    return write_csv(tmp_path_factory.mktemp("ex07") / "logs.csv", rows=3_000, seed=11, bad_fraction=0.02)
