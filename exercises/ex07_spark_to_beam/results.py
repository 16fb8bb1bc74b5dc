"""Reading what either pipeline wrote, local or gs://, into comparable rows.

Both engines write a directory of `part-*` files (Spark: `part-00000-<uuid>-c000.csv`, Beam:
`part-00000-of-00001.csv`), each with its own header. Beam's FileSystems reads local paths and
`gs://` (through the emulator when STORAGE_EMULATOR_HOST is set) with the same call.
"""

from __future__ import annotations

import csv
import io
import json

from apache_beam.io.filesystems import FileSystems

StatsRow = tuple[str, str, int, int, int, int, int]


def _part_files(directory: str) -> list[str]:
    matches = FileSystems.match([f"{directory.rstrip('/')}/part-*"])[0].metadata_list
    return sorted(m.path for m in matches if not m.path.endswith(".crc"))


def _read(path: str) -> str:
    with FileSystems.open(path) as handle:
        data: bytes = handle.read()
    return data.decode("utf-8")


def read_stats(directory: str) -> list[StatsRow]:
    """Every aggregate row in the directory, sorted by (hour, endpoint)."""
    rows: list[StatsRow] = []
    for path in _part_files(directory):
        reader = csv.DictReader(io.StringIO(_read(path)))
        for rec in reader:
            rows.append((rec["hour"], rec["endpoint"], int(rec["requests"]), int(rec["server_errors"]),
                         int(rec["bytes_sent"]), int(rec["latency_ms_sum"]), int(rec["latency_ms_max"])))
    return sorted(rows)


def read_dead_letters(directory: str) -> list[tuple[str, str]]:
    """Every dead letter as (error, original line), sorted."""
    found: list[tuple[str, str]] = []
    for path in _part_files(directory):
        for line in _read(path).splitlines():
            if line.strip():
                record = json.loads(line)
                found.append((record["error"], record["line"]))
    return sorted(found)
