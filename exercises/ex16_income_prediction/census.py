"""Provided: the UCI Adult records, their dead letters, the model input layout, the metrics, settings.

The data are the real census extract (`data/ex16/adult.data`, 32,561 training rows; `adult.test`,
16,281 held-out rows; see data/README.md). A cleaned row is a `Person`; a line that cannot be one is a
`DeadLetter` with the reason and the original text.

Model input: a numpy object array of the 14 `FEATURES` in that order (strings and ints), one row per
person. Every registered model is a scikit-learn Pipeline that starts with the fitted preprocessor,
so the same array goes to `predict_proba` in-process, in Beam's RunInference and in the service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score

from bootcamp.paths import DATA_DIR


class Person(NamedTuple):
    """One cleaned census row; `income` is 1 for `>50K`, 0 for `<=50K`."""

    age: int
    workclass: str
    fnlwgt: int
    education: str
    education_num: int
    marital_status: str
    occupation: str
    relationship: str
    race: str
    sex: str
    capital_gain: int
    capital_loss: int
    hours_per_week: int
    native_country: str
    income: int


COLUMNS = list(Person._fields)
FEATURES = COLUMNS[:-1]
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
CATEGORICAL = [c for c in FEATURES if c not in NUMERIC]
NUMERIC_IDX = [FEATURES.index(c) for c in NUMERIC]
CATEGORICAL_IDX = [FEATURES.index(c) for c in CATEGORICAL]
LABELS = {"<=50K": 0, ">50K": 1}


@dataclass(frozen=True)
class DeadLetter:
    """A line that is not a Person: why, where from, and the line itself (nothing is lost)."""

    reason: str
    split: str
    line: str


def data_file(split: str) -> Path:
    """`adult.data` for "train", `adult.test` for "test"."""
    return DATA_DIR / "ex16" / ("adult.data" if split == "train" else "adult.test")


def features(person: Person) -> np.ndarray:
    """One person as a model input row (object array, FEATURES order)."""
    return np.array(person[:-1], dtype=object)


def matrix(people: list[Person]) -> np.ndarray:
    """People as a model input batch (n x 14 object array)."""
    return np.array([p[:-1] for p in people], dtype=object).reshape(len(people), len(FEATURES))


def labels(people: list[Person]) -> np.ndarray:
    return np.array([p.income for p in people], dtype=np.int64)


@dataclass(frozen=True)
class Metrics:
    """How a model scores on some rows. AUC is NaN when the rows hold one class only."""

    n: int
    auc: float
    accuracy: float
    brier: float

    def as_dict(self) -> dict[str, float]:
        return {"n": self.n, "auc": self.auc, "accuracy": self.accuracy, "brier": self.brier}


def score(model: Any, people: list[Person]) -> Metrics:
    """AUC, accuracy at 0.5 and Brier score of `model` on `people` (its P(income > 50K))."""
    y = labels(people)
    p = model.predict_proba(matrix(people))[:, 1]
    auc = float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else math.nan
    return Metrics(len(people), auc, float(accuracy_score(y, p >= 0.5)), float(brier_score_loss(y, p)))


@dataclass(frozen=True)
class LevelModel:
    """What serves one education level: its own model, or the global one when the level is too small."""

    level: str
    model: Any
    kind: str               # "level" or "global-fallback"
    n_train: int
    n_positive: int
    own: Any | None = None  # the level's own model when both classes occur (reported, never served)


@dataclass(frozen=True)
class LevelReport:
    """One row of the results table: the level's served model vs the global model, on the level's rows."""

    level: str
    kind: str
    n_train: int
    served: Metrics         # the model that serves this level (its own, or the global fallback)
    level_only: Metrics | None  # the level's own model even when it is not served (None: not trained)
    global_: Metrics        # the global model on the same rows


@dataclass(frozen=True)
class Settings:
    """Knobs of the pipeline (environment-free: the caller builds them)."""

    prefix: str = "ex16-income"
    min_rows: int = 500           # fewer training rows than this: the level falls back to the global model
    min_class: int = 30           # fewer positives (or negatives) than this: fallback too
    seed: int = 16
    max_iter: int = 500
    sample: int | None = None     # keep at most this many training rows (tests); test rows scale alike
    levels: tuple[str, ...] = ()  # only these levels (tests); empty: all
    extra: dict[str, str] = field(default_factory=dict)  # tags added to every registered version
    register: bool = True         # False: evaluate only (the bench: no registry writes in the timing)
