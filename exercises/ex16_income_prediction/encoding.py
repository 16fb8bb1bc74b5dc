"""Provided: a batch of people -> `(education, Example)` pairs, through a fitted preprocessor.

Batched because a scikit-learn transform costs about a millisecond per call whatever its size: one
call per row would spend most of the pipeline there.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from exercises.ex16_income_prediction.census import Person, matrix


class Example(NamedTuple):
    """A cleaned person and its encoded feature vector."""

    person: Person
    x: np.ndarray


def encode_batch(people: list[Person], prep: Any) -> list[tuple[str, Example]]:
    encoded = np.asarray(prep.transform(matrix(people)), dtype=np.float64)
    return [(p.education, Example(p, row)) for p, row in zip(people, encoded, strict=True)]
