"""Parsing into the schema, and the Parquet/Avro schemas derived from it.

No `from __future__ import annotations`: the NamedTuples below must keep real type hints for Beam.
"""

from typing import NamedTuple, Optional

import fastavro
import pyarrow as pa
import pytest
from apache_beam.utils.timestamp import Timestamp

from bootcamp.testing.plugin import Implementation
from exercises.ex13_beam_schemas.records import CategoryStats, DeadLetter, ProductStats, Review

from .conftest import BAD_ROWS, GOOD


def test_good_line_becomes_a_typed_review(impl: Implementation) -> None:
    review = impl.parse.parse_review(GOOD)
    assert isinstance(review, Review)
    assert (review.rating, review.reviewer_age, review.verified, review.helpful_votes) == (5, 34, True, 3), \
        "the fields must carry their schema's types (rating int, verified bool...), not the CSV's text"
    assert isinstance(review.review_ts, Timestamp)
    assert review.review_ts.to_utc_datetime(has_tz=True).isoformat() == "2024-03-01T10:00:00+00:00"
    assert review.review_text == 'Great novel, truly. Said "wow".'


@pytest.mark.parametrize("reason", sorted(BAD_ROWS))
def test_bad_rows_become_dead_letters_with_reason_and_original_line(impl: Implementation,
                                                                   reason: str) -> None:
    letter = impl.parse.parse_review(BAD_ROWS[reason])
    assert isinstance(letter, DeadLetter)
    assert letter.reason.split(":")[0] == reason
    assert letter.line == BAD_ROWS[reason]


@pytest.mark.parametrize("age", ["", "-4", "41.5", "200"])
def test_unparseable_or_impossible_ages_are_rejected(impl: Implementation, age: str) -> None:
    line = f"R1,U1,B1,books,5,{age},true,3,2024-03-01T10:00:00Z,text"
    letter = impl.parse.parse_review(line)
    assert isinstance(letter, DeadLetter)
    assert letter.reason.startswith("bad_age")


def test_arrow_schema_is_derived_from_the_beam_schema(impl: Implementation) -> None:
    schema = impl.formats.arrow_schema(Review)
    assert schema.names == list(Review._fields)
    assert schema.field("rating").type == pa.int64()
    assert schema.field("verified").type == pa.bool_()
    assert schema.field("review_ts").type == pa.timestamp("us", tz="UTC")
    assert schema.field("review_text").type == pa.string()
    assert not any(field.nullable for field in schema)
    stats = impl.formats.arrow_schema(ProductStats)
    assert stats.field("avg_rating").type == pa.float64()


def test_avro_schema_is_valid_and_keeps_logical_types(impl: Implementation) -> None:
    schema = impl.formats.avro_schema(CategoryStats)
    fastavro.parse_schema(schema)     # raises if the schema is not valid Avro
    types = {f["name"]: f["type"] for f in schema["fields"]}
    assert types == {"category": "string", "n_reviews": "long", "avg_rating": "double",
                     "avg_reviewer_age": "double"}
    review = {f["name"]: f["type"] for f in impl.formats.avro_schema(Review)["fields"]}
    assert review["review_ts"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert review["verified"] == "boolean"


class WithOptional(NamedTuple):
    name: str
    score: Optional[float]  # noqa: UP045 - Beam's schema inference does not read `float | None`


class WithList(NamedTuple):
    tags: list[str]


def test_optional_fields_are_nullable_and_unsupported_types_are_refused(impl: Implementation) -> None:
    assert impl.formats.arrow_schema(WithOptional).field("score").nullable, \
        "an Optional field must stay nullable in the Parquet schema, or its nulls cannot be written"
    optional = {f["name"]: f for f in impl.formats.avro_schema(WithOptional)["fields"]}
    assert optional["score"]["type"] == ["null", "double"]
    assert optional["score"]["default"] is None
    with pytest.raises(TypeError):
        impl.formats.arrow_schema(WithList)
    with pytest.raises(TypeError):
        impl.formats.avro_schema(WithList)
