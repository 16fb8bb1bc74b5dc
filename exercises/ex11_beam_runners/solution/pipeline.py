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
from apache_beam.io.filesystems import FileSystems

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
        return (0, 0, 0, 0)

    def add_input(self, acc: Stats, request: Request) -> Stats:
        return (acc[0] + 1, acc[1] + request.bytes_sent, acc[2] + request.latency_ms,
                max(acc[3], request.latency_ms))

    def merge_accumulators(self, accumulators: Iterable[Stats]) -> Stats:
        total = self.create_accumulator()
        for acc in accumulators:
            total = (total[0] + acc[0], total[1] + acc[1], total[2] + acc[2], max(total[3], acc[3]))
        return total

    def extract_output(self, acc: Stats) -> Stats:
        return acc



def build(pipeline: beam.Pipeline, input_pattern: str, output_dir: str, db_path: str,
          portable_io: bool = False) -> None:
    """Add the graph to `pipeline`. `portable_io` switches to the DaskRunner-safe IO (module doc)."""
    output_dir = output_dir.rstrip("/")
    if portable_io:
        paths = [m.path for m in FileSystems.match([input_pattern])[0].metadata_list]
        if not paths:
            raise FileNotFoundError(f"No files found matching {input_pattern}")
        lines = (pipeline | "Files" >> beam.Create(sorted(paths))
                 | "ReadLines" >> beam.FlatMap(read_file_lines))
    else:
        lines = pipeline | "Read" >> beam.io.ReadFromText(input_pattern)
    lines = lines | "DropHeader" >> beam.Filter(lambda line: line != HEADER)
    if portable_io:
        # The DaskRunner sends every tagged output of a ParDo down the main output, so split by type.
        both = lines | "Parse" >> beam.Map(parse_line)
        valid = both | "Valid" >> beam.Filter(lambda item: isinstance(item, Request))
        dead = both | "Dead" >> beam.Filter(lambda item: isinstance(item, DeadLetter))
    else:
        parsed = lines | "Parse" >> beam.ParDo(ParseLine()).with_outputs(DEAD, main="valid")
        valid, dead = parsed.valid, parsed[DEAD]
    stats = (valid
             | "DropHealthChecks" >> beam.Filter(lambda r: r.path != "/healthz")
             | "KeyByRegionClass" >> beam.Map(key_by_region_class)
             | "Aggregate" >> beam.CombinePerKey(RegionStats())
             | "ToRow" >> beam.MapTuple(to_row))
    if portable_io:
        tagged = ((stats | "TagStats" >> beam.Map(lambda row: ("stats", tuple(row))),
                   dead | "TagDead" >> beam.Map(lambda d: ("dead", tuple(d))))
                  | "Merge" >> beam.Flatten())
        _ = tagged | "Sink" >> beam.ParDo(PortableSink(output_dir, db_path))
        return
    _ = (stats | "ToCsv" >> beam.Map(row_to_csv)
         | "WriteCsv" >> beam.io.WriteToText(f"{output_dir}/stats/part", file_name_suffix=".csv",
                                             num_shards=1, header=STATS_HEADER))
    _ = stats | "WriteDb" >> beam.ParDo(UpsertToSqlite(db_path))
    _ = (dead | "DeadToJson" >> beam.Map(dead_to_json)
         | "WriteDead" >> beam.io.WriteToText(f"{output_dir}/dead/part", file_name_suffix=".jsonl"))
