"""The records the pipeline passes around, and the Cassandra schema designed for its queries.

The table answers one query: "this device's readings for this day, newest first". So the partition
key is (device_id, day) and the clustering key is ts DESC:

- a partition holds one device-day: at one reading every 15 minutes that is 96 rows of ~40 bytes
  (under 4 KB), at one a second 86 400 rows (~3.5 MB): either way far below the ~100 MB where
  Cassandra partitions start to hurt compaction, repair and reads. Partitioning by device alone
  would grow without bound; by day alone would put the whole fleet's day on one replica set;
- the newest readings come first in each partition (the dashboard query reads the head);
- `location` is static: one value per partition, stored once, not per row.

The batch job reads the whole table by token ranges (every partition exactly once) and regroups each
device's partitions into one series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

MIN_TOKEN = -(2**63)
"""Murmur3Partitioner's minimum token. No partition has it (the partitioner maps a hash of
Long.MIN_VALUE to Long.MAX_VALUE), so `token > MIN_TOKEN` misses nothing."""
MAX_TOKEN = 2**63 - 1

TABLE = "readings"
PARTITION_KEY = ("device_id", "day")
MEASUREMENT = "anomaly"


@dataclass(frozen=True, order=True)
class TokenRange:
    """The tokens t with start < t <= end: Cassandra's own convention for a range a node owns."""

    start: int
    end: int

    @property
    def width(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class RawRow:
    """One row as read, before validation: any field may be missing or wrong."""

    device_id: str | None
    day: date | None
    ts: datetime | None
    value: float | None
    location: str | None

    def describe(self) -> dict[str, Any]:
        """A JSON-ready copy, kept with the reason in the dead-letter output."""
        return {"device_id": self.device_id, "day": self.day.isoformat() if self.day else None,
                "ts": self.ts.isoformat() if self.ts else None,
                "value": None if self.value is None else (repr(self.value) if not math.isfinite(self.value)
                                                          else self.value),
                "location": self.location}


@dataclass(frozen=True, order=True)
class Reading:
    """A valid reading: every field present, the value finite, the time inside its day bucket."""

    device_id: str
    ts: datetime
    value: float
    location: str


@dataclass(frozen=True)
class DeadLetter:
    """A row the pipeline refused, with the reason."""

    reason: str
    row: dict[str, Any]


@dataclass(frozen=True)
class Anomaly:
    """One reading a detector flagged."""

    detector: str
    device_id: str
    location: str
    ts: datetime
    value: float


def day_of(ts: datetime) -> date:
    """The day bucket of a timestamp (UTC)."""
    return ts.astimezone(UTC).date()


def keyspace_cql(keyspace: str, replication_factor: int = 1) -> str:
    return (f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = "
            f"{{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}")


def table_cql(keyspace: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS {keyspace}.{TABLE} (
    device_id text,
    day date,
    ts timestamp,
    value double,
    location text STATIC,
    PRIMARY KEY ((device_id, day), ts)
) WITH CLUSTERING ORDER BY (ts DESC)"""


def create_schema(session: Any, keyspace: str, replication_factor: int = 1) -> None:
    """The keyspace and the readings table (idempotent)."""
    session.execute(keyspace_cql(keyspace, replication_factor))
    session.execute(table_cql(keyspace))


def raw_row(row: Any) -> RawRow:
    """A driver row (device_id, day, ts, value, location) as a RawRow, in plain Python types.

    The driver returns `timestamp` as a naive datetime in UTC and `date` as `cassandra.util.Date`.
    """
    ts = row.ts.replace(tzinfo=UTC) if row.ts is not None else None
    day = row.day.date() if row.day is not None and hasattr(row.day, "date") else row.day
    return RawRow(row.device_id, day, ts, row.value, row.location)
