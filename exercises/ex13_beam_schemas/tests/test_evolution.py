"""Schema evolution: files written with the old schema, read with a new one (Avro schema resolution).

Avro stores the writer's schema in every file; a reader gives its own (the reader schema) and the
library resolves the two field by field, by name. A new field is readable from old files only if
the reader schema gives it a default; a field the reader drops is skipped; a changed type must be
a permitted promotion (int -> long -> float -> double, string <-> bytes) or reading fails.

No `from __future__ import annotations`: the NamedTuples below must keep real type hints for Beam.
"""

import io
from typing import Any, NamedTuple, Optional

import fastavro
import pytest
from fastavro.read import SchemaResolutionError

from bootcamp.testing.plugin import Implementation
from exercises.ex13_beam_schemas.fileformats import to_plain
from exercises.ex13_beam_schemas.records import Review

from .conftest import GOOD

# Version 2 of the review: one new, optional field. The record keeps its name: Avro resolution
# matches records by (unqualified) name.
_V2_FIELDS: list[tuple[str, Any]] = [(name, Review.__annotations__[name]) for name in Review._fields]
_V2_FIELDS.append(("language", Optional[str]))  # noqa: UP045 - Beam's inference does not read `str | None`
ReviewV2 = NamedTuple("Review", _V2_FIELDS)  # type: ignore[misc]  # the functional form keeps the name


def old_file(impl: Implementation) -> io.BytesIO:
    """An Avro file written with version 1 of the schema, as a run of last month would have left."""
    review = impl.parse.parse_review(GOOD)
    assert isinstance(review, Review), "parse_review must accept the sample line"
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(impl.formats.avro_schema(Review)),
                    [to_plain(review), to_plain(review._replace(review_id="R2", rating=3))])
    buffer.seek(0)
    return buffer


def read(buffer: io.BytesIO, reader_schema: dict[str, Any]) -> list[dict[str, Any]]:
    buffer.seek(0)
    return list(fastavro.reader(buffer, reader_schema=fastavro.parse_schema(reader_schema)))


def test_old_files_read_with_the_new_schema_get_the_default(impl: Implementation) -> None:
    new = impl.formats.avro_schema(ReviewV2)
    language = next(f for f in new["fields"] if f["name"] == "language")
    assert language["type"] == ["null", "string"], "an Optional field is the union ['null', T]"
    assert "default" in language, \
        "a new nullable field needs the default null, or files written before it existed cannot be read"
    assert language["default"] is None, "the default of a ['null', T] union must be null (its first branch)"
    rows = read(old_file(impl), new)
    assert [r["review_id"] for r in rows] == ["R1", "R2"]
    assert all(r["language"] is None for r in rows), "old records take the new field's default"
    assert rows[1]["rating"] == 3


def test_a_new_field_without_a_default_breaks_old_files(impl: Implementation) -> None:
    new = impl.formats.avro_schema(ReviewV2)
    for field in new["fields"]:
        field.pop("default", None)
    with pytest.raises(SchemaResolutionError, match="language"):
        read(old_file(impl), new)


def test_dropped_fields_are_skipped_and_only_promotions_are_allowed(impl: Implementation) -> None:
    old = impl.formats.avro_schema(Review)
    narrower = {**old, "fields": [f for f in old["fields"] if f["name"] != "review_text"]}
    assert all("review_text" not in r for r in read(old_file(impl), narrower)), "a dropped field is skipped"
    promoted = {**old, "fields": [{**f, "type": "double"} if f["name"] == "rating" else f
                                  for f in old["fields"]]}
    assert read(old_file(impl), promoted)[1]["rating"] == 3.0, "long -> double is a permitted promotion"
    changed = {**old, "fields": [{**f, "type": "string"} if f["name"] == "rating" else f
                                 for f in old["fields"]]}
    with pytest.raises(SchemaResolutionError):
        read(old_file(impl), changed)                       # long -> string is not
