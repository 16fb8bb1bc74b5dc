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

import contextlib
import hashlib
import io
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

HEADER = "timestamp,request_id,client_ip,method,path,status,bytes_sent,latency_ms,region"
STATS_HEADER = "region,status_class,requests,bytes_sent,latency_ms_sum,latency_ms_max"
TABLE = "region_status_stats"
DEAD = "dead"
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_STATUS = re.compile(r"[1-5][0-9][0-9]")
_NUMBER = re.compile(r"[0-9]{1,15}")
_REGION = re.compile(r"[a-z]+-[a-z]+")


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


def to_row(key: tuple[str, str], stats: Stats) -> StatsRow:
    return (key[0], key[1], *stats)


def row_to_csv(row: StatsRow) -> str:
    return ",".join(str(cell) for cell in row)


def dead_to_json(dead: DeadLetter) -> str:
    return json.dumps({"error": dead.error, "line": dead.line})


# -- the database sink -------------------------------------------------------------------------------
def prepare_database(db_path: str) -> None:
    """Create the table and switch the file to WAL, once, in the driver before any worker writes.

    Done per worker connection instead, concurrent bundles race for the lock upgrade that a journal-mode
    change needs, and SQLite answers such a race with "database is locked" at once, without waiting
    (a wait could deadlock), whatever the busy timeout.
    """
    with contextlib.closing(sqlite3.connect(db_path, timeout=60, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # persistent: a property of the file from now on
        conn.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            region TEXT NOT NULL, status_class TEXT NOT NULL, requests INTEGER NOT NULL,
            bytes_sent INTEGER NOT NULL, latency_ms_sum INTEGER NOT NULL, latency_ms_max INTEGER NOT NULL,
            PRIMARY KEY (region, status_class))""")


def connect(db_path: str) -> sqlite3.Connection:
    """A worker's connection: it waits up to 60 s for other writers (multi_processing and Dask workers
    write at once); the file was prepared by `prepare_database`."""
    return sqlite3.connect(db_path, timeout=60, isolation_level=None)


def upsert(conn: sqlite3.Connection, rows: list[StatsRow]) -> None:
    """One transaction per batch; an upsert, so a retried bundle rewrites the same rows (at-least-once
    delivery, exactly-once effect)."""
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO region_status_stats VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (region, status_class) DO UPDATE SET "
        "requests = excluded.requests, bytes_sent = excluded.bytes_sent, "
        "latency_ms_sum = excluded.latency_ms_sum, latency_ms_max = excluded.latency_ms_max",
        rows)
    conn.execute("COMMIT")


class UpsertToSqlite(beam.DoFn):  # type: ignore[misc]
    """Buffers a bundle's rows and upserts them in `finish_bundle`: the bundle is acknowledged to the
    runner only after the commit, so a failure makes the runner retry the bundle."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.rows: list[StatsRow] = []

    def start_bundle(self) -> None:
        self.rows = []

    def process(self, row: StatsRow) -> None:
        self.rows.append(tuple(row))  # type: ignore[arg-type]

    def finish_bundle(self) -> None:
        if self.rows:
            conn = connect(self.db_path)
            try:
                upsert(conn, self.rows)
            finally:
                conn.close()
        self.rows = []


# -- the DaskRunner workaround --------------------------------------------------------------------
def read_file_lines(path: str) -> Iterator[str]:
    """Every line of a (local or gs://) text file, as ReadFromText would give them."""
    with FileSystems.open(path) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8", newline=None):
            yield line.rstrip("\n")


class PortableSink(beam.DoFn):  # type: ignore[misc]
    """The single sink of the portable graph: stats rows and dead letters to shard files named by a
    hash of their content (a retried bundle overwrites, not duplicates), stats rows to SQLite."""

    def __init__(self, output_dir: str, db_path: str) -> None:
        self.output_dir = output_dir.rstrip("/")
        self.db_path = db_path
        self.stats: list[StatsRow] = []
        self.dead: list[str] = []

    def start_bundle(self) -> None:
        self.stats, self.dead = [], []

    def process(self, tagged: tuple[str, Any]) -> None:
        tag, value = tagged
        if tag == "stats":
            self.stats.append(tuple(value))
        else:
            self.dead.append(dead_to_json(DeadLetter(*value)))

    def _write(self, folder: str, suffix: str, header: str | None, lines: list[str]) -> None:
        body = "\n".join(([header] if header else []) + lines) + "\n"
        name = hashlib.sha256(body.encode()).hexdigest()[:16]
        with FileSystems.create(f"{self.output_dir}/{folder}/part-{name}{suffix}") as out:
            out.write(body.encode())

    def finish_bundle(self) -> None:
        if self.stats:
            self._write("stats", ".csv", STATS_HEADER, sorted(row_to_csv(r) for r in self.stats))
            conn = connect(self.db_path)
            try:
                upsert(conn, self.stats)
            finally:
                conn.close()
        if self.dead:
            self._write("dead", ".jsonl", None, sorted(self.dead))
        self.stats, self.dead = [], []


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
