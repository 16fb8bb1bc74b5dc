"""One schema, three file formats: Parquet and Avro schemas derived from the Beam schema, and CSV.

The Beam schema of a NamedTuple (`named_tuple_to_schema`) is the single source of truth; the
Parquet (Arrow) and Avro schemas are computed from it, so a field added to `records.py` reaches
every output with its type, and a type cannot drift between formats. CSV keeps names (the header)
but not types; Parquet and Avro keep both, which the tests check by reading the files back.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pyarrow as pa

from exercises.ex13_beam_schemas.fileformats import (
    ARROW_ATOMIC,
    AVRO_ATOMIC,
    MICROS_INSTANT,
    UnsupportedFieldTypeError,
    schema_fields,
)


def arrow_schema(row_type: type[NamedTuple]) -> pa.Schema:
    """The Arrow (Parquet) schema of a schema'd NamedTuple.

    Atomic types map one to one; Beam's instant (`Timestamp`, logical type micros_instant) becomes
    `timestamp[us, tz=UTC]`; a nullable Beam field (`Optional[...]`) becomes a nullable Arrow field
    and every other field is declared NOT NULL, so Parquet readers see the same contract.
    """
    fields = []
    for field in schema_fields(row_type):
        kind = field.type.WhichOneof("type_info")
        if kind == "atomic_type" and field.type.atomic_type in ARROW_ATOMIC:
            arrow_type = ARROW_ATOMIC[field.type.atomic_type]
        elif kind == "logical_type" and field.type.logical_type.urn == MICROS_INSTANT:
            arrow_type = pa.timestamp("us", tz="UTC")
        else:
            raise UnsupportedFieldTypeError(
                f"{row_type.__name__}.{field.name}: no Arrow mapping for {field.type}")
        fields.append(pa.field(field.name, arrow_type, nullable=field.type.nullable))
    return pa.schema(fields)


def avro_schema(row_type: type[NamedTuple], namespace: str = "bootcamp.ex13") -> dict[str, Any]:
    """The Avro record schema of a schema'd NamedTuple (a dict, as fastavro and Beam's avroio take).

    Instants become `{"type": "long", "logicalType": "timestamp-micros"}`; nullable fields become the
    union `["null", type]` with default null, the Avro idiom for an optional field.
    """
    fields: list[dict[str, Any]] = []
    for field in schema_fields(row_type):
        kind = field.type.WhichOneof("type_info")
        avro_type: Any
        if kind == "atomic_type" and field.type.atomic_type in AVRO_ATOMIC:
            avro_type = AVRO_ATOMIC[field.type.atomic_type]
        elif kind == "logical_type" and field.type.logical_type.urn == MICROS_INSTANT:
            avro_type = {"type": "long", "logicalType": "timestamp-micros"}
        else:
            raise UnsupportedFieldTypeError(
                f"{row_type.__name__}.{field.name}: no Avro mapping for {field.type}")
        entry: dict[str, Any] = {"name": field.name, "type": avro_type}
        if field.type.nullable:
            entry = {"name": field.name, "type": ["null", avro_type], "default": None}
        fields.append(entry)
    return {"type": "record", "name": row_type.__name__, "namespace": namespace, "fields": fields}
