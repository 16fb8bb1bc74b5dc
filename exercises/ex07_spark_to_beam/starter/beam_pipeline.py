"""The Beam translation of `spark_job.py`: the same rules, the same output, any Beam runner.

Spark -> Beam, as done here:
- `spark.read.text(path)`            -> `ReadFromText(path)` (a PCollection of lines; gs:// native)
- `F.when(...)` validation column    -> a `ParDo` with a tagged dead-letter output (`ParseLine`)
- `filter` / `withColumn`            -> `beam.Filter` / `beam.Map`
- `groupBy(...).agg(...)`            -> `CombinePerKey(EndpointStats())`: combiner lifting = Spark's
                                        partial aggregation before the shuffle
- `write.csv` / `write.text`         -> `WriteToText` (one shard for the small aggregate)

The pipeline is a lazy graph, like a Spark DataFrame plan: nothing runs until `Pipeline.run()`
(Spark: until an action).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineResult

HEADER = "timestamp,request_id,client_ip,method,path,status,bytes_sent,latency_ms,region"
STATS_HEADER = "hour,endpoint,requests,server_errors,bytes_sent,latency_ms_sum,latency_ms_max"
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
HEALTH_CHECK = "/healthz"
DEAD = "dead"
_ID_SEGMENT = re.compile(r"/[0-9]+(?=/|$)")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_STATUS = re.compile(r"[1-5][0-9][0-9]")
_NUMBER = re.compile(r"[0-9]{1,15}")


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


# (requests, server_errors, bytes_sent, latency_ms_sum, latency_ms_max)
Stats = tuple[int, int, int, int, int]


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


def hour_of(timestamp: str) -> str:
    """`2026-03-02T13:45:10Z` -> `2026-03-02T13:00:00Z`."""
    return timestamp[:13] + ":00:00Z"


class ParseLine(beam.DoFn):  # type: ignore[misc]  # Beam's classes are untyped
    """Valid lines to the main output, the others to the `dead` output; counts both."""

    def __init__(self) -> None:
        self.valid = Metrics.counter("ex07", "valid_lines")
        self.dead = Metrics.counter("ex07", "dead_letters")

    def process(self, line: str) -> Iterator[LogRecord | beam.pvalue.TaggedOutput]:
        parsed = parse_line(line)
        if isinstance(parsed, DeadLetter):
            self.dead.inc()
            yield beam.pvalue.TaggedOutput(DEAD, parsed)
        else:
            self.valid.inc()
            yield parsed


class EndpointStats(beam.CombineFn):  # type: ignore[misc]
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


def format_stats(key: tuple[str, str], stats: Stats) -> str:
    """One CSV line of the output, in STATS_HEADER order."""
    return ",".join((key[0], key[1], *(str(value) for value in stats)))


def format_dead_letter(dead: DeadLetter) -> str:
    """A JSON line with the error and the original line."""
    return json.dumps({"error": dead.error, "line": dead.line})


def build(pipeline: beam.Pipeline, input_pattern: str, output_dir: str, deadletter_dir: str) -> None:
    """Add the whole graph to `pipeline` (lazy: nothing runs until `pipeline.run()`)."""
    raise NotImplementedError(
        "build: ReadFromText -> drop HEADER -> ParDo(ParseLine()).with_outputs(DEAD, main='valid') -> "
        "key by (hour_of, normalise_endpoint) -> drop HEALTH_CHECK -> CombinePerKey(EndpointStats()) -> "
        "format_stats -> WriteToText(output_dir/part, .csv, one shard, header=STATS_HEADER); dead letters "
        "-> format_dead_letter -> WriteToText(deadletter_dir/part, .jsonl)")


def run(input_pattern: str, output_dir: str, deadletter_dir: str,
        beam_args: list[str] | None = None) -> PipelineResult:
    """Build and run to completion with the runner named in `beam_args` (DirectRunner by default)."""
    from bootcamp.services.gcs import use_emulator_credentials

    use_emulator_credentials()
    options = PipelineOptions(beam_args or [])
    pipeline = beam.Pipeline(options=options)
    build(pipeline, input_pattern, output_dir, deadletter_dir)
    result = pipeline.run()
    result.wait_until_finish()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ex07 Beam pipeline: access-log stats per hour, endpoint")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--deadletter", required=True)
    args, beam_args = parser.parse_known_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run(args.input, args.output, args.deadletter, beam_args)
    except (OSError, ValueError) as exc:  # a user's mistake (no input, bad option): one line
        parser.exit(2, f"error: {exc}\n")
    except KeyboardInterrupt as stop:  # WriteToText only renames its temp shards at the very end
        parser.exit(130, f"stopped by {stop or 'SIGINT'}; no output finalised, run again\n")


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


if __name__ == "__main__":
    main()
