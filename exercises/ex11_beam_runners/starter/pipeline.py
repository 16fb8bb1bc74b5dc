"""One Beam pipeline for every runner: access-log CSV in, validate, filter, map, aggregate, CSV + SQLite out.

The query (the "log data migration" of the exercise): requests, bytes and latency per region and
status class (2xx, 4xx, 5xx...), health checks excluded, malformed lines dead-lettered with their
original text.

IO is the only part that differs by runner, and only because the DaskRunner needs it:
- "beam" IO (every DirectRunner mode, BundleBasedDirectRunner, Dataflow, Flink, Spark, Samza):
  `ReadFromText`, `WriteToText`, and a DoFn that upserts into SQLite — three sinks.
- "portable" IO (DaskRunner): the DaskRunner of Beam 2.77 cannot expand `ReadFromText` (its
  splittable read leaves the runner with no input bag) and finalises `WriteToText` wrongly (each
  step that uses the temp-dir side input computes its own temp dir, so the shards are never
  renamed), and it computes only the *last* leaf of the graph. So: `Create([paths]) | FlatMap(read)`
  in, and one sink that writes content-addressed shard files and upserts the database.
"""

from __future__ import annotations

from collections.abc import Iterable

import apache_beam as beam

from exercises.ex11_beam_runners.records import (  # noqa: F401  # provided; re-exported
    DEAD,
    HEADER,
    STATS_HEADER,
    TABLE,
    DeadLetter,
    ParseLine,
    Request,
    Stats,
    StatsRow,
    dead_to_json,
    key_by_region_class,
    parse_line,
    row_to_csv,
    status_class,
    to_row,
)
from exercises.ex11_beam_runners.sinks import (  # noqa: F401  # provided; re-exported
    PortableSink,
    UpsertToSqlite,
    connect,
    prepare_database,
    read_file_lines,
    upsert,
)


class RegionStats(beam.CombineFn):  # type: ignore[misc]
    """Requests, bytes, latency sum and max for one (region, status class). Integers only, so every
    runner — whatever order it adds in — gives the same bytes."""

    def create_accumulator(self) -> Stats:
        raise NotImplementedError("RegionStats.create_accumulator: the empty (0, 0, 0, 0)")

    def add_input(self, acc: Stats, request: Request) -> Stats:
        raise NotImplementedError("RegionStats.add_input: count, bytes, latency sum and max")

    def merge_accumulators(self, accumulators: Iterable[Stats]) -> Stats:
        raise NotImplementedError("RegionStats.merge_accumulators: add the sums, take the max")

    def extract_output(self, acc: Stats) -> Stats:
        raise NotImplementedError("RegionStats.extract_output: the accumulator is the output")



def build(pipeline: beam.Pipeline, input_pattern: str, output_dir: str, db_path: str,
          portable_io: bool = False) -> None:
    """Add the graph to `pipeline`. `portable_io` switches to the DaskRunner-safe IO (module doc)."""
    raise NotImplementedError(
        "build: read lines (ReadFromText, or Create(paths) | FlatMap(read_file_lines) when portable_io), "
        "drop HEADER, parse (ParDo(ParseLine()).with_outputs(DEAD); when portable_io Map(parse_line) + two "
        "Filters by type), drop /healthz, key_by_region_class, CombinePerKey(RegionStats()), to_row; sinks: "
        "WriteToText(stats/part .csv, header), ParDo(UpsertToSqlite), dead letters WriteToText(dead/part "
        ".jsonl); when portable_io one PortableSink fed by a Flatten of ('stats', row) and ('dead', dead)")
