"""The output tables: columns, rows from aggregated sums, CSV and SQLite sinks, reading back. Provided.

Every duration is kept as integer seconds (a sum and a count) until the very end, then written as
mean hours rounded to 2 decimals: integers add up the same in any order, so every runner writes the
same bytes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import apache_beam as beam

from exercises.ex14_developer_productivity.records import METRICS, DeadLetter

COUNTS = tuple(m for m in METRICS if not m.endswith("_s"))
DURATIONS = tuple(m for m in METRICS if m.endswith("_s"))
METRIC_COLUMNS = tuple(m.removesuffix("_s") + "_h" if m.endswith("_s") else m for m in METRICS)
DEVELOPER_COLUMNS = ("period", "person_id", "name", "team", *METRIC_COLUMNS)
TEAM_COLUMNS = ("period", "team", "developers", *METRIC_COLUMNS)
DORA_COLUMNS = ("period", "team", "deployments", "changes", "lead_time_median_h")
UNMAPPED_COLUMNS = ("tool", "identity", "activities")
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "developer_metrics": (DEVELOPER_COLUMNS, ("period", "person_id")),
    "team_metrics": (TEAM_COLUMNS, ("period", "team")),
    "dora": (DORA_COLUMNS, ("period", "team")),
    "unmapped": (UNMAPPED_COLUMNS, ("tool", "identity")),
}
Row = tuple[Any, ...]
Sums = dict[str, tuple[int, int]]  # metric -> (total, count)


def hundredths_of_hour(doubled_seconds: int, count: int) -> float:
    """`doubled_seconds / 2 / count` seconds in hours, rounded half up to 2 decimals, in integers only:
    floats would round 35.125 differently here (Python rounds an exact half to even) and in SQL."""
    return ((100 * doubled_seconds + 3600 * count) // (7200 * count)) / 100


def hours(total: int, count: int) -> float | None:
    """The mean of `count` durations adding up to `total` seconds, in hours (2 decimals)."""
    return hundredths_of_hour(2 * total, count) if count else None


def metric_cells(sums: Sums) -> list[Any]:
    cells: list[Any] = []
    for metric in METRICS:
        total, count = sums.get(metric, (0, 0))
        cells.append(hours(total, count) if metric.endswith("_s") else total)
    return cells


def developer_row(key: tuple[str, str, str, str], metrics: Iterable[tuple[str, int, int]]) -> Row:
    """key = (period, person_id, name, team); metrics = (metric, total, count) for that key."""
    sums = {metric: (total, count) for metric, total, count in metrics}
    return (*key, *metric_cells(sums))


def team_row(key: tuple[str, str], metrics: Iterable[tuple[str, str, int, int]]) -> Row:
    """key = (period, team); metrics = (person_id, metric, total, count)."""
    sums: dict[str, tuple[int, int]] = {}
    people = set()
    for person, metric, total, count in metrics:
        people.add(person)
        old = sums.get(metric, (0, 0))
        sums[metric] = (old[0] + total, old[1] + count)
    return (*key, len(people), *metric_cells(sums))


def median_hours(seconds: Sequence[int]) -> float | None:
    """The median (the mean of the middle two for an even count), in hours, 2 decimals."""
    if not seconds:
        return None
    ordered, mid = sorted(seconds), len(seconds) // 2
    doubled = 2 * ordered[mid] if len(ordered) % 2 else ordered[mid - 1] + ordered[mid]
    return hundredths_of_hour(doubled, 1)


def to_csv_line(row: Row) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()


def dead_to_json(d: DeadLetter) -> str:
    return json.dumps(d._asdict(), sort_keys=True)


# -- sinks ------------------------------------------------------------------------------------------------
def prepare_database(db_path: str) -> None:
    """Create the tables (WAL) once in the driver, before any bundle writes (see ex11's sinks)."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=60, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        for table, (columns, key) in TABLES.items():
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)}, PRIMARY KEY ({', '.join(key)}))"
            )


class UpsertRows(beam.DoFn):  # type: ignore[misc]
    """A bundle's rows upserted in one transaction in `finish_bundle`: a retried bundle rewrites the
    same rows (at-least-once delivery, an exactly-once effect)."""

    def __init__(self, db_path: str, table: str) -> None:
        self.db_path, self.table = db_path, table
        self.rows: list[Row] = []

    def start_bundle(self) -> None:
        self.rows = []

    def process(self, row: Row) -> None:
        self.rows.append(tuple(row))

    def finish_bundle(self) -> None:
        if not self.rows:
            return
        columns, key = TABLES[self.table]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        sql = (
            f"INSERT INTO {self.table} VALUES ({', '.join('?' * len(columns))}) "  # noqa: S608
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=60, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, self.rows)
            conn.execute("COMMIT")
        self.rows = []


def write_table(rows: beam.PCollection[Row], name: str, output_dir: str, db_path: str | None) -> None:
    columns, _ = TABLES[name]
    _ = (
        rows
        | f"{name}ToCsv" >> beam.Map(to_csv_line)
        | f"Write{name}Csv"
        >> beam.io.WriteToText(
            f"{output_dir}/{name}",
            file_name_suffix=".csv",
            num_shards=1,
            shard_name_template="",
            header=",".join(columns),
        )
    )
    if db_path is not None:
        _ = rows | f"Write{name}Db" >> beam.ParDo(UpsertRows(db_path, name))


# -- reading back ------------------------------------------------------------------------------------------
def read_csv(output_dir: str | Path, name: str) -> list[list[str]]:
    """A table's rows (header excluded), sorted: the runner decides the order it wrote them in."""
    with (Path(output_dir) / f"{name}.csv").open(newline="") as rows:
        return sorted(list(csv.reader(rows))[1:])


def read_db(db_path: str | Path, name: str) -> list[list[str]]:
    """The same table from SQLite, as the CSV's text cells, sorted."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        rows = conn.execute(f"SELECT * FROM {name}").fetchall()  # noqa: S608
    return sorted([["" if c is None else str(c) for c in row] for row in rows])


def read_dead(output_dir: str | Path) -> list[dict[str, str]]:
    lines = [
        line
        for path in sorted(Path(output_dir).glob("dead*.jsonl"))
        for line in path.read_text().splitlines()
        if line
    ]
    return sorted((json.loads(line) for line in lines), key=lambda d: (d["source"], d["where"], d["reason"]))
