"""One schema, three file formats: Parquet and Avro schemas derived from the Beam schema, and CSV.

The Beam schema of a NamedTuple (`named_tuple_to_schema`) is the single source of truth; the
Parquet (Arrow) and Avro schemas are computed from it, so a field added to `records.py` reaches
every output with its type, and a type cannot drift between formats. CSV keeps names (the header)
but not types; Parquet and Avro keep both, which the tests check by reading the files back.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, NamedTuple

import pyarrow as pa
from apache_beam.portability.api import schema_pb2
from apache_beam.typehints.schemas import named_tuple_to_schema
from apache_beam.utils.timestamp import Timestamp

MICROS_INSTANT = "beam:logical_type:micros_instant:v1"

_ARROW_ATOMIC: dict[int, pa.DataType] = {
    schema_pb2.STRING: pa.string(),
    schema_pb2.INT64: pa.int64(),
    schema_pb2.INT32: pa.int32(),
    schema_pb2.INT16: pa.int16(),
    schema_pb2.BYTE: pa.int8(),
    schema_pb2.DOUBLE: pa.float64(),
    schema_pb2.FLOAT: pa.float32(),
    schema_pb2.BOOLEAN: pa.bool_(),
    schema_pb2.BYTES: pa.binary(),
}
_AVRO_ATOMIC: dict[int, str] = {
    schema_pb2.STRING: "string",
    schema_pb2.INT64: "long",
    schema_pb2.INT32: "int",
    schema_pb2.INT16: "int",
    schema_pb2.BYTE: "int",
    schema_pb2.DOUBLE: "double",
    schema_pb2.FLOAT: "float",
    schema_pb2.BOOLEAN: "boolean",
    schema_pb2.BYTES: "bytes",
}


class UnsupportedFieldTypeError(TypeError):
    """A schema field whose type has no mapping here (nested rows, arrays, maps, other logical types)."""


def _fields(row_type: type[NamedTuple]) -> list[Any]:
    return list(named_tuple_to_schema(row_type).fields)


def arrow_schema(row_type: type[NamedTuple]) -> pa.Schema:
    """The Arrow (Parquet) schema of a schema'd NamedTuple.

    Atomic types map one to one; Beam's instant (`Timestamp`, logical type micros_instant) becomes
    `timestamp[us, tz=UTC]`; a nullable Beam field (`Optional[...]`) becomes a nullable Arrow field
    and every other field is declared NOT NULL, so Parquet readers see the same contract.
    """
    fields = []
    for field in _fields(row_type):
        kind = field.type.WhichOneof("type_info")
        if kind == "atomic_type" and field.type.atomic_type in _ARROW_ATOMIC:
            arrow_type = _ARROW_ATOMIC[field.type.atomic_type]
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
    for field in _fields(row_type):
        kind = field.type.WhichOneof("type_info")
        avro_type: Any
        if kind == "atomic_type" and field.type.atomic_type in _AVRO_ATOMIC:
            avro_type = _AVRO_ATOMIC[field.type.atomic_type]
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


# -- plumbing: values to and from the file formats --------------------------------------------------
def to_plain(record: NamedTuple) -> dict[str, Any]:
    """A dict of Python values the Parquet and Avro writers accept (Timestamp -> aware datetime)."""
    return {k: v.to_utc_datetime(has_tz=True) if isinstance(v, Timestamp) else v
            for k, v in record._asdict().items()}


def from_plain(row_type: type[NamedTuple], values: dict[str, Any]) -> Any:
    """The inverse of `to_plain`, for records read back from Avro or Parquet."""
    converted = {k: Timestamp.from_utc_datetime(v) if isinstance(v, datetime) else v
                 for k, v in values.items()}
    return row_type(**converted)  # type: ignore[call-overload]


def csv_header(row_type: type[NamedTuple]) -> str:
    return ",".join(row_type._fields)


def to_csv_line(record: NamedTuple) -> str:
    """One CSV line; instants as ISO 8601 UTC, floats with full precision, booleans as true/false."""
    values: list[Any] = []
    for value in record:
        if isinstance(value, Timestamp):
            values.append(value.to_utc_datetime(has_tz=True).isoformat())
        elif isinstance(value, bool):
            values.append("true" if value else "false")
        else:
            values.append(value)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()
