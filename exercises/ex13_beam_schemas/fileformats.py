"""The file formats' side of the schema: type tables, and values to and from CSV, Parquet and Avro. Provided.

`formats.py` (which you write) derives the Arrow and Avro schemas from the Beam schema with the
tables here; the pipeline writes and reads values with the functions here.
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

ARROW_ATOMIC: dict[int, pa.DataType] = {
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
AVRO_ATOMIC: dict[int, str] = {
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


def schema_fields(row_type: type[NamedTuple]) -> list[Any]:
    """The fields of the Beam schema Beam infers for `row_type` (`schema_pb2.Field`: name, type)."""
    return list(named_tuple_to_schema(row_type).fields)


# -- values to and from the file formats ---------------------------------------------------------
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
