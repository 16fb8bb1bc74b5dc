"""Seeded synthetic sensor series with labelled anomalies, and their writing to Cassandra.

Each device has its own level (so a fleet-wide threshold is wrong for most of them), a slow trend, a
daily cycle, a weekly one (weekends lower), Gaussian noise, and injected anomalies of four kinds:
spikes, drops, a level shift (a run of readings moved up) and a variance change (a run of readings
much noisier). Every injected reading is labelled, so detectors can be scored against the truth.
The same seed gives the same series, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from exercises.ex10_anomaly_detection.records import TABLE, day_of

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
STEP = timedelta(minutes=15)
PER_DAY = int(timedelta(days=1) / STEP)  # 96: the daily period in samples
SITES = ("berlin", "lisbon", "oslo")


@dataclass
class Series:
    """One device's generated readings and the indices of the anomalous ones."""

    device_id: str
    location: str
    ts: list[datetime]
    values: np.ndarray
    labels: dict[int, str] = field(default_factory=dict)  # index -> kind

    def labelled(self) -> set[tuple[str, datetime]]:
        return {(self.device_id, self.ts[i]) for i in self.labels}


def generate(devices: int, days: int, seed: int = 10, start: datetime = START,
             anomalies_per_day: float = 1.0) -> list[Series]:
    """`devices` series of `days` days at 15-minute steps, each with about `anomalies_per_day`
    anomalous episodes per day (a spike or drop is one reading; a shift or variance change, six)."""
    rng = np.random.default_rng(seed)
    n = days * PER_DAY
    t = np.arange(n)
    out: list[Series] = []
    for d in range(devices):
        level = rng.uniform(20.0, 80.0)
        daily = rng.uniform(3.0, 8.0)
        noise = rng.uniform(0.3, 0.8)
        trend = rng.uniform(-0.5, 0.5) / PER_DAY
        phase = rng.uniform(0, 2 * math.pi)
        stamps = [start + i * STEP for i in range(n)]
        weekend = np.array([1.0 if s.weekday() >= 5 else 0.0 for s in stamps])
        values = (level + trend * t + daily * np.sin(2 * math.pi * t / PER_DAY + phase)
                  - 0.15 * daily * weekend + rng.normal(0.0, noise, n))
        labels: dict[int, str] = {}
        episodes = max(1, round(anomalies_per_day * days))
        # Episodes start at distinct positions away from the edges and from each other.
        starts = sorted(rng.choice(np.arange(PER_DAY // 4, n - 12, 12), size=episodes, replace=False))
        for i, at in enumerate(starts):
            kind = ("spike", "drop", "spike", "drop", "level_shift", "variance")[i % 6]
            size = rng.uniform(6.0, 10.0) * noise + 0.6 * daily
            if kind == "spike":
                values[at] += size
                labels[int(at)] = kind
            elif kind == "drop":
                values[at] -= size
                labels[int(at)] = kind
            elif kind == "level_shift":
                values[at:at + 6] += size
                labels.update({int(j): kind for j in range(at, at + 6)})
            else:
                values[at:at + 6] += rng.normal(0.0, 8 * noise, 6) + np.sign(rng.normal(size=6)) * 4 * noise
                labels.update({int(j): kind for j in range(at, at + 6)})
        out.append(Series(f"dev-{d:03d}", SITES[d % len(SITES)], stamps, values, labels))
    return out


def bad_rows(device_id: str = "dev-bad", location: str = "berlin") -> list[tuple[Any, ...]]:
    """Rows a real fleet sends: a missing value, a NaN, and a time outside its partition's day
    (a device whose clock jumped, written under yesterday's bucket). (device_id, day, ts, value,
    location) tuples for the insert statement."""
    ts = START + timedelta(hours=1)
    return [
        (device_id, day_of(ts), ts, None, location),
        (device_id, day_of(ts), ts + STEP, float("nan"), location),
        (device_id, day_of(ts), ts + timedelta(days=3), 42.0, location),
    ]


def insert_cql(keyspace: str) -> str:
    # A keyspace name cannot be bound; the values are: nothing from the data enters the text.
    return f"INSERT INTO {keyspace}.{TABLE} (device_id, day, ts, value, location) VALUES (?, ?, ?, ?, ?)"  # noqa: S608


def rows_of(series: Iterable[Series]) -> list[tuple[Any, ...]]:
    return [(s.device_id, day_of(ts), ts, float(v), s.location)
            for s in series for ts, v in zip(s.ts, s.values, strict=True)]


def write_rows(session: Any, keyspace: str, rows: Sequence[tuple[Any, ...]], concurrency: int = 64) -> int:
    """Insert rows with one prepared statement, `concurrency` requests in flight; the count written.

    A prepared statement is parsed once by the server; each execution sends only the bound values,
    and the driver knows the partition key's position, so the token-aware policy sends each insert
    straight to a replica of its partition.
    """
    from cassandra.concurrent import execute_concurrent_with_args

    statement = session.prepare(insert_cql(keyspace))
    results = execute_concurrent_with_args(session, statement, rows, concurrency=concurrency,
                                           raise_on_first_error=True, results_generator=True)
    return sum(1 for _ in results)
