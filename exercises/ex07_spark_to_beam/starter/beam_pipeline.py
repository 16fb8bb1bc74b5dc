"""Your Beam translation of `spark_job.py`: the same rules, the same output, any Beam runner.

Read `spark_job.py` (`classify` and `transform`) and translate:
- `F.when(...)` validation column    -> `parse_line`, run by the provided `ParseLine(parse_line)` DoFn,
                                        which sends DeadLetters to a tagged `DEAD` output
- the endpoint expression            -> `normalise_endpoint` (Spark's regexes are Java's; yours Python's)
- `groupBy(...).agg(...)`            -> `CombinePerKey(EndpointStats())`
- the whole job                      -> `build`: ReadFromText ... WriteToText

Provided in `../records.py` and imported below: HEADER, STATS_HEADER, METHODS, HEALTH_CHECK, DEAD,
LogRecord, DeadLetter, Stats, hour_of, format_stats, format_dead_letter, ParseLine; in
`../runtime.py`: `main` (the command line; `run(build, ...)` runs a graph to completion).
"""

from __future__ import annotations

from collections.abc import Iterable

import apache_beam as beam

from exercises.ex07_spark_to_beam.records import (  # noqa: F401  # provided; re-exported
    DEAD,
    HEADER,
    HEALTH_CHECK,
    METHODS,
    STATS_HEADER,
    DeadLetter,
    LogRecord,
    ParseLine,
    Stats,
    format_dead_letter,
    format_stats,
    hour_of,
)
from exercises.ex07_spark_to_beam.runtime import main


def parse_line(line: str) -> LogRecord | DeadLetter:
    """Validate one CSV line with the Spark job's rules, in the same order (first failure wins).

    Errors: field_count, bad_timestamp, bad_method, bad_status, bad_number.
    """
    raise NotImplementedError(
        "parse_line: translate spark_job.classify — split on ',', check the 9 fields in the same order "
        "(field_count, bad_timestamp, bad_method, bad_status, bad_number), return a LogRecord or a "
        "DeadLetter(error, line)")


def normalise_endpoint(path: str) -> str:
    """Drop the query string and replace numeric segments: `/api/orders/42?x=1` -> `/api/orders/{id}`."""
    raise NotImplementedError(
        "normalise_endpoint: translate the Spark split('?') + regexp_replace(ID_SEGMENT, '/{id}')")


class EndpointStats(beam.CombineFn):  # type: ignore[misc]  # Beam's classes are untyped
    """Requests, 5xx count, bytes, latency sum and max of one (hour, endpoint) key.

    Integers only: a float mean would differ in its last digits between engines that add in
    different orders; the mean is latency_ms_sum / requests, downstream.
    """

    def create_accumulator(self) -> Stats:
        raise NotImplementedError("EndpointStats.create_accumulator: the empty (0, 0, 0, 0, 0)")

    def add_input(self, acc: Stats, record: LogRecord) -> Stats:
        raise NotImplementedError("EndpointStats.add_input: count, 5xx, bytes, latency sum and max")

    def merge_accumulators(self, accumulators: Iterable[Stats]) -> Stats:
        raise NotImplementedError("EndpointStats.merge_accumulators: add the sums, take the max")

    def extract_output(self, acc: Stats) -> Stats:
        raise NotImplementedError("EndpointStats.extract_output: the accumulator is the output")


def build(pipeline: beam.Pipeline, input_pattern: str, output_dir: str, deadletter_dir: str) -> None:
    """Add the whole graph to `pipeline` (lazy: nothing runs until `pipeline.run()`)."""
    raise NotImplementedError(
        "build: ReadFromText -> drop HEADER -> ParDo(ParseLine(parse_line)).with_outputs(DEAD, main='valid') "
        "-> key by (hour_of, normalise_endpoint) -> drop HEALTH_CHECK -> CombinePerKey(EndpointStats()) -> "
        "format_stats -> WriteToText(output_dir/part, .csv, one shard, header=STATS_HEADER); dead letters "
        "-> format_dead_letter -> WriteToText(deadletter_dir/part, .jsonl)")


if __name__ == "__main__":
    main(build)
