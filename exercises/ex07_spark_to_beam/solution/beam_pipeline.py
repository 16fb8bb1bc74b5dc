"""The Beam translation of `spark_job.py`: the same rules, the same output, any Beam runner.

Spark -> Beam, as done here:
- `spark.read.text(path)`            -> `ReadFromText(path)` (a PCollection of lines; gs:// native)
- `F.when(...)` validation column    -> a `ParDo` with a tagged dead-letter output (`ParseLine`)
- `filter` / `withColumn`            -> `beam.Filter` / `beam.Map`
- `groupBy(...).agg(...)`            -> `CombinePerKey(EndpointStats())`: combiner lifting = Spark's
                                        partial aggregation before the shuffle
- `write.csv` / `write.text`         -> `WriteToText` (one shard for the small aggregate)

The pipeline is a lazy graph, like a Spark DataFrame plan: nothing runs until `Pipeline.run()`
(Spark: until an action). Record types, output formats, the parsing DoFn (`../records.py`) and
running the graph (`../runtime.py`) are provided.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import apache_beam as beam

from exercises.ex07_spark_to_beam.records import (  # provided
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

# Spark's regexes are Java's; these are Python's. `fullmatch` anchors like Spark's `^...$`.
_ID_SEGMENT = re.compile(r"/[0-9]+(?=/|$)")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_STATUS = re.compile(r"[1-5][0-9][0-9]")
_NUMBER = re.compile(r"[0-9]{1,15}")


def parse_line(line: str) -> LogRecord | DeadLetter:
    """Validate one CSV line with the Spark job's rules, in the same order (first failure wins).

    Errors: field_count, bad_timestamp, bad_method, bad_status, bad_number.
    """
    fields = line.split(",")
    if len(fields) != 9:
        return DeadLetter("field_count", line)
    timestamp, _request_id, _ip, method, path, status, size, latency, _region = fields
    if not _TIMESTAMP.fullmatch(timestamp):
        return DeadLetter("bad_timestamp", line)
    if method not in METHODS:
        return DeadLetter("bad_method", line)
    if not _STATUS.fullmatch(status):
        return DeadLetter("bad_status", line)
    if not (_NUMBER.fullmatch(size) and _NUMBER.fullmatch(latency)):
        return DeadLetter("bad_number", line)
    return LogRecord(timestamp, path, int(status), int(size), int(latency))


def normalise_endpoint(path: str) -> str:
    """Drop the query string and replace numeric segments: `/api/orders/42?x=1` -> `/api/orders/{id}`."""
    return _ID_SEGMENT.sub("/{id}", path.split("?", 1)[0])


class EndpointStats(beam.CombineFn):  # type: ignore[misc]  # Beam's classes are untyped
    """Requests, 5xx count, bytes, latency sum and max of one (hour, endpoint) key.

    Integers only: a float mean would differ in its last digits between engines that add in
    different orders; the mean is latency_ms_sum / requests, downstream.
    """

    def create_accumulator(self) -> Stats:
        return (0, 0, 0, 0, 0)

    def add_input(self, acc: Stats, record: LogRecord) -> Stats:
        return (acc[0] + 1, acc[1] + (record.status >= 500), acc[2] + record.bytes_sent,
                acc[3] + record.latency_ms, max(acc[4], record.latency_ms))

    def merge_accumulators(self, accumulators: Iterable[Stats]) -> Stats:
        merged = self.create_accumulator()
        for acc in accumulators:
            merged = (merged[0] + acc[0], merged[1] + acc[1], merged[2] + acc[2], merged[3] + acc[3],
                      max(merged[4], acc[4]))
        return merged

    def extract_output(self, acc: Stats) -> Stats:
        return acc


def build(pipeline: beam.Pipeline, input_pattern: str, output_dir: str, deadletter_dir: str) -> None:
    """Add the whole graph to `pipeline` (lazy: nothing runs until `pipeline.run()`)."""
    lines = (pipeline
             | "Read" >> beam.io.ReadFromText(input_pattern)
             | "DropHeader" >> beam.Filter(lambda line: line != HEADER))
    parsed = lines | "Parse" >> beam.ParDo(ParseLine(parse_line)).with_outputs(DEAD, main="valid")
    stats = (parsed.valid
             | "KeyByHourEndpoint" >> beam.Map(
                 lambda r: ((hour_of(r.timestamp), normalise_endpoint(r.path)), r))
             | "DropHealthChecks" >> beam.Filter(lambda kv: kv[0][1] != HEALTH_CHECK)
             | "Aggregate" >> beam.CombinePerKey(EndpointStats())
             | "Format" >> beam.MapTuple(format_stats))
    _ = stats | "WriteStats" >> beam.io.WriteToText(
        f"{output_dir.rstrip('/')}/part", file_name_suffix=".csv", num_shards=1, header=STATS_HEADER)
    _ = (parsed[DEAD]
         | "FormatDead" >> beam.Map(format_dead_letter)
         | "WriteDead" >> beam.io.WriteToText(f"{deadletter_dir.rstrip('/')}/part",
                                              file_name_suffix=".jsonl"))


if __name__ == "__main__":
    main(build)
