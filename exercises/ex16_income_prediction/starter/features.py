"""Learner's part 2: the preprocessing, fitted on the training split only, applied to both splits."""

from __future__ import annotations

from typing import Any

import apache_beam as beam
from sklearn.compose import ColumnTransformer

from exercises.ex16_income_prediction.census import Person


def fit_preprocessor(people: list[Person]) -> ColumnTransformer:
    """One-hot the categorical features and standardise the numeric ones, fitted on `people`."""
    raise NotImplementedError("not implemented yet: fit_preprocessor (part 2)")


class Preprocess(beam.PTransform):  # type: ignore[misc]
    """`{"train": ..., "test": ...}` of Person -> `{"train", "test"}` of `(education, Example)` and
    `"preprocessor"` (one element), fitted on the training split ONLY."""

    def expand(self, splits: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("not implemented yet: Preprocess.expand (part 2)")
