"""Learner's part 2: the preprocessing, fitted on the training split only, applied to both splits."""

from __future__ import annotations

from typing import Any

import apache_beam as beam
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from exercises.ex16_income_prediction.census import CATEGORICAL_IDX, NUMERIC_IDX, Person, matrix
from exercises.ex16_income_prediction.encoding import encode_batch


def fit_preprocessor(people: list[Person]) -> ColumnTransformer:
    """One-hot the categorical features and standardise the numeric ones, fitted on `people`.

    Categories never seen in fitting encode as all zeros (`handle_unknown="ignore"`): a level of
    `native_country` that only the test file has must not crash scoring.
    """
    prep = ColumnTransformer([
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL_IDX),
        ("scale", StandardScaler(), NUMERIC_IDX),
    ])
    prep.fit(matrix(people))
    return prep


class Preprocess(beam.PTransform):  # type: ignore[misc]
    """`{"train": PCollection[Person], "test": PCollection[Person]}` -> `{"train": ..., "test": ...,
    "preprocessor": ...}`: each split as `(education, Example)` pairs, and the fitted preprocessor
    (one element).

    The preprocessor is fitted on the training rows ONLY, then applied to both splits as a side
    input: statistics taken from the test rows would leak them into every model evaluated on them.
    """

    def expand(self, splits: dict[str, Any]) -> dict[str, Any]:
        fitted = (splits["train"]
                  | "CollectTrain" >> beam.combiners.ToList()
                  | "Fit" >> beam.Map(fit_preprocessor))
        prep = beam.pvalue.AsSingleton(fitted)
        out: dict[str, Any] = {"preprocessor": fitted}
        for name in ("train", "test"):
            out[name] = (splits[name]
                         | f"Batch{name}" >> beam.BatchElements(min_batch_size=256, max_batch_size=4096)
                         | f"Encode{name}" >> beam.FlatMap(encode_batch, prep))
        return out
