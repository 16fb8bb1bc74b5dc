"""Where Exercise 11's results go: SQLite, and the DaskRunner's single portable sink. Provided.

The DaskRunner of Beam 2.77 cannot expand `ReadFromText` (its splittable read leaves the runner with
no input bag), finalises `WriteToText` wrongly (each step that uses the temp-dir side input computes
its own temp dir, so the shards are never renamed), sends every tagged output of a ParDo down the
main output, and computes only the *last* leaf of the graph. So the portable IO reads with
`Create([paths]) | FlatMap(read_file_lines)` and ends in one sink, `PortableSink`, that writes
content-addressed shard files and upserts the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import sqlite3
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from exercises.ex11_beam_runners.records import (
    STATS_HEADER,
    TABLE,
    DeadLetter,
    StatsRow,
    dead_to_json,
    row_to_csv,
)


def write_outputs(stats: beam.PCollection[StatsRow], dead: beam.PCollection[DeadLetter], output_dir: str,
                  db_path: str, portable_io: bool = False) -> None:
    """The three sinks: stats to `stats/part-*.csv` and the database, dead letters to `dead/*.jsonl`;
    with `portable_io`, one `PortableSink` fed by a Flatten of both (the DaskRunner's last leaf)."""
    output_dir = output_dir.rstrip("/")
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
def list_inputs(input_pattern: str) -> list[str]:
    """The files matching `input_pattern`, sorted; FileNotFoundError when there are none."""
    paths = sorted(m.path for m in FileSystems.match([input_pattern])[0].metadata_list)
    if not paths:
        raise FileNotFoundError(f"No files found matching {input_pattern}")
    return paths


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
