"""Reading a run's outputs — the CSV shards, the database table, the dead letters — into sorted rows."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from apache_beam.io.filesystems import FileSystems

from exercises.ex11_beam_runners.records import StatsRow


def _parts(directory: str, suffix: str) -> list[str]:
    found = FileSystems.match([f"{directory.rstrip('/')}/part-*{suffix}"])[0].metadata_list
    return sorted(m.path for m in found)


def _text(path: str) -> str:
    with FileSystems.open(path) as handle:
        data: bytes = handle.read()
    return data.decode("utf-8")


def read_csv_rows(output_dir: str) -> list[StatsRow]:
    rows: list[StatsRow] = []
    for path in _parts(f"{output_dir}/stats", ".csv"):
        for rec in csv.DictReader(io.StringIO(_text(path))):
            rows.append((rec["region"], rec["status_class"], int(rec["requests"]), int(rec["bytes_sent"]),
                         int(rec["latency_ms_sum"]), int(rec["latency_ms_max"])))
    return sorted(rows)


def read_db_rows(db_path: str) -> list[StatsRow]:
    with sqlite3.connect(db_path) as conn:
        fetched = conn.execute("SELECT region, status_class, requests, bytes_sent, latency_ms_sum, "
                               "latency_ms_max FROM region_status_stats").fetchall()
    return sorted(tuple(row) for row in fetched)


def read_dead_letters(output_dir: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in _parts(f"{output_dir}/dead", ".jsonl"):
        for line in _text(path).splitlines():
            if line.strip():
                record = json.loads(line)
                found.append((record["error"], record["line"]))
    return sorted(found)
