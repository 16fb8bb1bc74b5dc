"""The schemas of Exercise 13, declared once as typed NamedTuples.

A NamedTuple with type hints *is* a Beam schema: `RowCoder` encodes it field by field (compact,
language-portable, no pickling), and schema-aware transforms (`Select`, `GroupBy`,
`beam.dataframe`) address its fields by name. Registering the coder makes every PCollection typed
with one of these use it. The Parquet and Avro schemas in `formats.py` are derived from these, so
there is one source of truth for the types.
"""

# No `from __future__ import annotations` here: Beam infers a schema from a NamedTuple's
# `__annotations__`, and postponed (string) annotations make every field `Any` (pickled), silently.
from typing import NamedTuple

import apache_beam as beam
from apache_beam.utils.timestamp import Timestamp


class Review(NamedTuple):
    review_id: str
    user_id: str
    product_id: str
    category: str
    rating: int                 # 1..5
    reviewer_age: int           # 13..120
    verified: bool
    helpful_votes: int
    review_ts: Timestamp        # Beam's instant type: a micros-precision logical type in the schema
    review_text: str


class ProductStats(NamedTuple):
    product_id: str
    category: str
    n_reviews: int
    avg_rating: float
    helpful_votes: int


class CategoryStats(NamedTuple):
    category: str
    n_reviews: int
    avg_rating: float
    avg_reviewer_age: float


class DeadLetter(NamedTuple):
    """A line the parser rejected: why, and the line itself, byte for byte (as text)."""

    reason: str
    line: str


def age_band(age: int) -> str:
    """Ten-year bands, `18-27` style, the usual grain of demographic reporting."""
    low = 18 + ((age - 18) // 10) * 10 if age >= 18 else 13
    return f"{low}-{low + 9}" if age >= 18 else "13-17"


for _schema in (Review, ProductStats, CategoryStats, DeadLetter):
    beam.coders.registry.register_coder(_schema, beam.coders.RowCoder)

REVIEW_FIELDS = Review._fields
