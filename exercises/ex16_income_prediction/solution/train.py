"""Learner's part 3: one model per education level, with a fallback to the global model for small
levels, and the comparison of each level's model with the global model on that level's rows."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from exercises.ex16_income_prediction.census import LevelModel, LevelReport, Metrics, Person, Settings, score
from exercises.ex16_income_prediction.encoding import Example


def needs_fallback(n_rows: int, n_positive: int, settings: Settings) -> bool:
    """Too few rows, or too few of either class, to trust a model of the level's own."""
    return n_rows < settings.min_rows or min(n_positive, n_rows - n_positive) < settings.min_class


def fit_model(examples: list[Example], prep: Any, settings: Settings) -> Pipeline:
    """A logistic regression on the encoded rows, behind the (already fitted) preprocessor.

    Rows are sorted first: a GroupByKey gives them in any order, and the same data in another order
    would give a (slightly) different model, so metrics would not be reproducible.
    """
    ordered = sorted(examples, key=lambda e: e.person)
    x = np.stack([e.x for e in ordered])
    y = np.array([e.person.income for e in ordered])
    clf = LogisticRegression(max_iter=settings.max_iter, random_state=settings.seed)
    clf.fit(x, y)
    return Pipeline([("prep", prep), ("clf", clf)])


def train_level(level: str, examples: list[Example], prep: Any, global_model: Pipeline,
                settings: Settings) -> LevelModel:
    """The model that will serve `level`: its own when the level is big enough, else the global one.

    A small level still gets its own model trained when both classes occur, so the report can show
    what falling back saved (`own`); it is never served.
    """
    n = len(examples)
    positive = sum(e.person.income for e in examples)
    own = fit_model(examples, prep, settings) if 0 < positive < n else None
    if needs_fallback(n, positive, settings):
        return LevelModel(level, global_model, "global-fallback", n, positive, own)
    assert own is not None
    return LevelModel(level, own, "level", n, positive, own)


def evaluate_level(level: str, people: list[Person], chosen: LevelModel, global_model: Pipeline,
                   global_overall: Metrics) -> LevelReport:
    """Score the level's served model, its own model and the global model on the SAME rows: the level's
    held-out test rows. (`global_overall`, the global model on every test row, is for the summary line
    only: a level compared against it is compared against other levels' people.)"""
    return LevelReport(
        level=level, kind=chosen.kind, n_train=chosen.n_train,
        served=score(chosen.model, people),
        level_only=score(chosen.own, people) if chosen.own is not None else None,
        global_=score(global_model, people),
    )
