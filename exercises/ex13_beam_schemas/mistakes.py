"""Realistic wrong answers to Exercise 13 that its check must reject (format: bootcamp/grading.py)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="field-typed-wrong",
        lesson="A schema is only worth its types: passing the CSV's text through for an int field makes "
               "every downstream aggregate and every file format wrong.",
        file="parse.py",
        old='values["category"], rating,',
        new='values["category"], values["rating"],',
        expect="the fields must carry their schema's types",
        tests=("tests/test_parse_and_formats.py::test_good_line_becomes_a_typed_review",),
    ),
    Mistake(
        name="select-misspelt-field",
        lesson="Schema transforms name fields; a misspelt name is an error the pipeline reports, not "
               "a silently empty column.",
        file="transforms.py",
        old='        "verified",\n',
        new='        "verifed",\n',
        expect="verifed",
        tests=("tests/test_transforms.py::test_analytics_view_selects_and_computes_fields",),
    ),
    Mistake(
        name="aggregate-wrong-field",
        lesson="aggregate_field names the input field, the CombineFn and the output field: averaging "
               "the helpful votes into avg_rating gives a well-typed, wrong column.",
        file="transforms.py",
        old='.aggregate_field("rating", MeanCombineFn(), "avg_rating")',
        new='.aggregate_field("helpful_votes", MeanCombineFn(), "avg_rating")',
        expect="avg_rating must be the mean of that product's ratings",
        tests=("tests/test_pipeline.py::test_parquet_output_keeps_the_schema_and_the_values",),
    ),
    Mistake(
        name="nullable-lost-in-parquet",
        lesson="Optional[...] must stay nullable in the derived Parquet schema, or a null cannot be "
               "written and readers lose the contract.",
        file="formats.py",
        old="nullable=field.type.nullable",
        new="nullable=False",
        expect="an Optional field must stay nullable in the Parquet schema",
        tests=("tests/test_parse_and_formats.py::"
               "test_optional_fields_are_nullable_and_unsupported_types_are_refused",),
    ),
    Mistake(
        name="optional-without-default",
        lesson="An Avro union ['null', T] without a default cannot be added to a schema: files written "
               "before the field existed no longer resolve against the new reader schema.",
        file="formats.py",
        old='entry = {"name": field.name, "type": ["null", avro_type], "default": None}',
        new='entry = {"name": field.name, "type": ["null", avro_type]}',
        expect="a new nullable field needs the default null",
        tests=("tests/test_evolution.py::test_old_files_read_with_the_new_schema_get_the_default",),
    ),
]
