"""One schema, three file formats: Parquet and Avro schemas derived from the Beam schema, and CSV.

The Beam schema of a NamedTuple (`named_tuple_to_schema`) is the single source of truth; the
Parquet (Arrow) and Avro schemas are computed from it, so a field added to `records.py` reaches
every output with its type, and a type cannot drift between formats. CSV keeps names (the header)
but not types; Parquet and Avro keep both, which the tests check by reading the files back.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pyarrow as pa

from exercises.ex13_beam_schemas.fileformats import (  # noqa: F401 - you need these
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
    raise NotImplementedError(
        "arrow_schema: for each field of schema_fields(row_type): atomic types via "
        "ARROW_ATOMIC, logical type MICROS_INSTANT -> pa.timestamp('us', tz='UTC'), anything "
        "else -> raise UnsupportedFieldTypeError; pa.field(name, type, "
        "nullable=field.type.nullable)"
    )


def avro_schema(row_type: type[NamedTuple], namespace: str = "bootcamp.ex13") -> dict[str, Any]:
    """The Avro record schema of a schema'd NamedTuple (a dict, as fastavro and Beam's avroio take).

    Instants become `{"type": "long", "logicalType": "timestamp-micros"}`; nullable fields become the
    union `["null", type]` with default null, the Avro idiom for an optional field.
    """
    raise NotImplementedError(
        "avro_schema: like arrow_schema but with AVRO_ATOMIC and {'type': 'long', 'logicalType': "
        "'timestamp-micros'}; nullable -> ['null', type] with default None; return {'type': "
        "'record', 'name': row_type.__name__, 'namespace': namespace, 'fields': [...]}"
    )
