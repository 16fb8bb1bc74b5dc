"""Shared inputs: hand-made lines, a small real sample, one MLflow server and one trained run per session.

The sample keeps four education levels of the real data (the first rows of adult.data / adult.test),
so one pipeline run trains and registers five models in seconds; `Doctorate` has too few rows in it
and must fall back to the global model. Each session registers under its own prefix, so runs of the
suite never see each other's versions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from exercises.ex16_income_prediction.census import Settings, data_file

LEVELS = ("HS-grad", "Bachelors", "Masters", "Doctorate")
GOOD_TRAIN = "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K"  # noqa: E501
GOOD_TEST = "44, Private, 160323, Some-college, 10, Married-civ-spouse, Machine-op-inspct, Husband, Black, Male, 7688, 0, 40, United-States, >50K."  # noqa: E501
BAD_LINES = {
    "missing": "54, ?, 180211, Bachelors, 13, Married-civ-spouse, ?, Husband, Asian-Pac-Islander, Male, 0, 0, 60, South, >50K",  # noqa: E501
    "fields": "39, State-gov, 77516, Bachelors, 13",
    "age": "forty, Private, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 0, 0, 40, United-States, <=50K",  # noqa: E501
    "label": "39, Private, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 0, 0, 40, United-States, maybe",  # noqa: E501
}


def sample_lines(split: str, per_level: int) -> list[str]:
    """The first `per_level` lines of each of LEVELS in the real file (keeping its comment line)."""
    taken: dict[str, int] = {}
    out: list[str] = []
    for line in data_file(split).read_text().splitlines():
        if line.startswith("|"):
            out.append(line)
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 4 or fields[3] not in LEVELS:
            continue
        limit = per_level // 8 if fields[3] == "Doctorate" else per_level
        if taken.get(fields[3], 0) < limit:
            taken[fields[3]] = taken.get(fields[3], 0) + 1
            out.append(line)
    return out


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("ex16-data")
    train, test = root / "adult.data", root / "adult.test"
    train.write_text("\n".join([*sample_lines("train", 600), *BAD_LINES.values(), ""]) + "\n")
    test.write_text("\n".join(sample_lines("test", 300)) + "\n\n")
    return train, test


@pytest.fixture(scope="session")
def mlflow_uri(local_service: Callable[[str], str]) -> str:
    return local_service("mlflow")


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(prefix=f"t{uuid.uuid4().hex[:8]}-income", min_rows=300, min_class=20, levels=LEVELS)


@dataclass(frozen=True)
class Trained:
    report: Any
    settings: Settings
    uri: str
    out: Path


@pytest.fixture(scope="session")
def trained(impl_name: str, sample_files: tuple[Path, Path], mlflow_uri: str, settings: Settings,
            tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """The whole pipeline, once per session, on the sample, registering into the session's server."""
    from exercises.ex16_income_prediction import pipeline

    out = tmp_path_factory.mktemp("ex16-run")
    report = pipeline.run(settings, out, mlflow_uri, train_path=sample_files[0], test_path=sample_files[1],
                          impl=impl_name)
    return Trained(report, settings, mlflow_uri, out)
