"""The provided pieces of the Beam translation: the record types, the output formats, the parsing DoFn.

The learner's `beam_pipeline.py` translates the Spark job's logic (validation, endpoint mapping, the
aggregation, the graph); what is here is the same in the solution and the starter and is re-exported
by both. It imports only apache_beam and the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics

HEADER = "timestamp,request_id,client_ip,method,path,status,bytes_sent,latency_ms,region"
STATS_HEADER = "hour,endpoint,requests,server_errors,bytes_sent,latency_ms_sum,latency_ms_max"
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
HEALTH_CHECK = "/healthz"
DEAD = "dead"


class LogRecord(NamedTuple):
    """The fields of a valid line that the aggregation needs."""

    timestamp: str
    path: str
    status: int
    bytes_sent: int
    latency_ms: int


class DeadLetter(NamedTuple):
    """A line that failed validation: why, and the line exactly as read."""

    error: str
    line: str


Stats = tuple[int, int, int, int, int]
"""(requests, server_errors, bytes_sent, latency_ms_sum, latency_ms_max) of one (hour, endpoint)."""


def hour_of(timestamp: str) -> str:
    """`2026-03-02T13:45:10Z` -> `2026-03-02T13:00:00Z`."""
    return timestamp[:13] + ":00:00Z"


def format_stats(key: tuple[str, str], stats: Stats) -> str:
    """One CSV line of the output, in STATS_HEADER order."""
    return ",".join((key[0], key[1], *(str(value) for value in stats)))


def format_dead_letter(dead: DeadLetter) -> str:
    """A JSON line with the error and the original line."""
    return json.dumps({"error": dead.error, "line": dead.line})


class ParseLine(beam.DoFn):  # type: ignore[misc]  # Beam's classes are untyped
    """Lines -> `parse(line)`: LogRecords to the main output, DeadLetters to the `dead` output; counts both.

    `parse` is the learner's `parse_line`; a DoFn with tagged outputs is how Beam says "valid" and
    "dead" are two PCollections of one step (Spark: one DataFrame with an `error` column).
    """

    def __init__(self, parse: Callable[[str], LogRecord | DeadLetter]) -> None:
        self.parse = parse
        self.valid = Metrics.counter("ex07", "valid_lines")
        self.dead = Metrics.counter("ex07", "dead_letters")

    def process(self, line: str) -> Iterator[LogRecord | beam.pvalue.TaggedOutput]:
        parsed = self.parse(line)
        if isinstance(parsed, DeadLetter):
            self.dead.inc()
            yield beam.pvalue.TaggedOutput(DEAD, parsed)
        else:
            self.valid.inc()
            yield parsed
