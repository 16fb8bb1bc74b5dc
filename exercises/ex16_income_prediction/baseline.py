"""Provided, for the bench: the pipeline's steps in plain pandas + scikit-learn, in one process.

Same data, same rules (rows with `?` dropped and counted, padding and the test labels' dots stripped),
the same preprocessing fitted on the training split, the same per-level models with the same
fallback rule, the same metrics. What it lacks is what Beam adds: dead letters with their lines,
a graph a distributed runner can split, side inputs instead of shared memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from exercises.ex16_income_prediction.census import (
    CATEGORICAL_IDX,
    COLUMNS,
    FEATURES,
    NUMERIC_IDX,
    Metrics,
    Settings,
)


def load(path: Path) -> tuple[pd.DataFrame, int]:
    frame = pd.read_csv(path, header=None, names=COLUMNS, skipinitialspace=True, na_values="?",
                        comment="|", skip_blank_lines=True)
    before = len(frame)
    frame = frame.dropna()
    frame["income"] = frame["income"].str.rstrip(".").map({"<=50K": 0, ">50K": 1})
    frame = frame.dropna(subset=["income"])
    return frame, before - len(frame)


def _metrics(model: Any, x: np.ndarray, y: np.ndarray) -> Metrics:
    from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score

    p = model.predict_proba(x)[:, 1]
    auc = float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else float("nan")
    return Metrics(len(y), auc, float(accuracy_score(y, p >= 0.5)), float(brier_score_loss(y, p)))


def run(train_path: Path, test_path: Path, settings: Settings) -> dict[str, Any]:
    train, dropped_train = load(train_path)
    test, dropped_test = load(test_path)
    x_train = train[FEATURES].to_numpy(dtype=object)
    prep = ColumnTransformer([
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL_IDX),
        ("scale", StandardScaler(), NUMERIC_IDX),
    ]).fit(x_train)

    def fit(frame: pd.DataFrame) -> Pipeline:
        clf = LogisticRegression(max_iter=settings.max_iter, random_state=settings.seed)
        clf.fit(prep.transform(frame[FEATURES].to_numpy(dtype=object)), frame["income"].to_numpy(dtype=int))
        return Pipeline([("prep", prep), ("clf", clf)])

    global_model = fit(train)
    models: dict[str, Pipeline] = {}
    reports: dict[str, tuple[Metrics, Metrics]] = {}
    for level, group in train.groupby("education"):
        positive = int(group["income"].sum())
        small = len(group) < settings.min_rows or min(positive, len(group) - positive) < settings.min_class
        models[str(level)] = global_model if small else fit(group)
    for level, group in test.groupby("education"):
        x, y = group[FEATURES].to_numpy(dtype=object), group["income"].to_numpy(dtype=int)
        served = models.get(str(level), global_model)
        reports[str(level)] = (_metrics(served, x, y), _metrics(global_model, x, y))
    return {"models": models, "global": global_model, "reports": reports,
            "dropped": dropped_train + dropped_test, "test": test}
