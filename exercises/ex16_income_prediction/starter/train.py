"""Learner's part 3: one model per education level, with a fallback to the global model for small
levels, and the comparison of each level's model with the global model on that level's rows."""

from __future__ import annotations

from typing import Any

from sklearn.pipeline import Pipeline

from exercises.ex16_income_prediction.census import LevelModel, LevelReport, Metrics, Person, Settings
from exercises.ex16_income_prediction.encoding import Example


def needs_fallback(n_rows: int, n_positive: int, settings: Settings) -> bool:
    """Too few rows, or too few of either class, to trust a model of the level's own."""
    raise NotImplementedError("not implemented yet: needs_fallback (part 3)")


def fit_model(examples: list[Example], prep: Any, settings: Settings) -> Pipeline:
    """A logistic regression on the encoded rows (in a deterministic order), behind the preprocessor."""
    raise NotImplementedError("not implemented yet: fit_model (part 3)")


def train_level(level: str, examples: list[Example], prep: Any, global_model: Pipeline,
                settings: Settings) -> LevelModel:
    """The model that will serve `level`: its own when big enough, else the global one."""
    raise NotImplementedError("not implemented yet: train_level (part 3)")


def evaluate_level(level: str, people: list[Person], chosen: LevelModel, global_model: Pipeline,
                   global_overall: Metrics) -> LevelReport:
    """Served, own and global model scored on the SAME rows: the level's test rows."""
    raise NotImplementedError("not implemented yet: evaluate_level (part 3)")
