"""The records of Exercise 11 and their text forms: provided, shared by the solution and the starter.

An access-log line is parsed into a `Request`, or a `DeadLetter` that keeps the original text and the
reason; aggregates are `StatsRow`s, written as CSV and to SQLite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics

HEADER = "timestamp,request_id,client_ip,method,path,status,bytes_sent,latency_ms,region"
STATS_HEADER = "region,status_class,requests,bytes_sent,latency_ms_sum,latency_ms_max"
TABLE = "region_status_stats"
COLUMNS = tuple(HEADER.split(","))
DEAD = "dead"
# The validation rules, as patterns a whole field must match (Python's `re` here, RE2 in pyarrow and
# DuckDB: the same language for these classes and counts).
TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
STATUS = r"[1-5][0-9][0-9]"
NUMBER = r"[0-9]{1,15}"
REGION = r"[a-z]+-[a-z]+"
_TIMESTAMP, _STATUS, _NUMBER, _REGION = (re.compile(p) for p in (TIMESTAMP, STATUS, NUMBER, REGION))


class Request(NamedTuple):
    """The fields of a valid line that the aggregation needs."""

    path: str
    status: int
    bytes_sent: int
    latency_ms: int
    region: str


class DeadLetter(NamedTuple):
    error: str
    line: str


# (requests, bytes_sent, latency_ms_sum, latency_ms_max)
Stats = tuple[int, int, int, int]
StatsRow = tuple[str, str, int, int, int, int]


def parse_line(line: str) -> Request | DeadLetter:
    """Validate one CSV line (first failure wins): field_count, bad_timestamp, bad_status, bad_number,
    bad_region."""
    fields = line.split(",")
    if len(fields) != 9:
        return DeadLetter("field_count", line)
    timestamp, _rid, _ip, _method, path, status, size, latency, region = fields
    if not _TIMESTAMP.fullmatch(timestamp):
        return DeadLetter("bad_timestamp", line)
    if not _STATUS.fullmatch(status):
        return DeadLetter("bad_status", line)
    if not (_NUMBER.fullmatch(size) and _NUMBER.fullmatch(latency)):
        return DeadLetter("bad_number", line)
    if not _REGION.fullmatch(region):
        return DeadLetter("bad_region", line)
    return Request(path.split("?", 1)[0], int(status), int(size), int(latency), region)


class ParseLine(beam.DoFn):  # type: ignore[misc]  # Beam is untyped here
    """Valid requests to the main output, malformed lines to `dead`; both counted."""

    def __init__(self) -> None:
        self.dead = Metrics.counter("ex11", "dead_letters")

    def process(self, line: str) -> Iterator[Any]:
        parsed = parse_line(line)
        if isinstance(parsed, DeadLetter):
            self.dead.inc()
            yield beam.pvalue.TaggedOutput(DEAD, parsed)
        else:
            yield parsed


def status_class(status: int) -> str:
    """503 -> "5xx"."""
    return f"{status // 100}xx"


def key_by_region_class(request: Request) -> tuple[tuple[str, str], Request]:
    return (request.region, status_class(request.status)), request


def to_row(key: tuple[str, str], stats: Stats) -> StatsRow:
    return (key[0], key[1], *stats)


def row_to_csv(row: StatsRow) -> str:
    return ",".join(str(cell) for cell in row)


def dead_to_json(dead: DeadLetter) -> str:
    return json.dumps({"error": dead.error, "line": dead.line})
