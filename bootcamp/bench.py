"""The benchmark harness: figures for people, then one JSON line for machines.

Every benchmark measures its subject beside a baseline in the same run on the same machine (the raw
client, the bare server, another engine), and reports ratios against it, because an absolute figure
from a laptop says little, and a ratio says how much the design costs or buys.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ratio(value: float, baseline: float) -> float:
    """value / baseline, rounded for reading; NaN when the baseline is zero."""
    return round(value / baseline, 3) if baseline else math.nan


@dataclass
class Stopwatch:
    """Wall time of a block: `with Stopwatch() as sw: ...; sw.seconds`."""

    started: float = 0.0
    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


@dataclass
class BenchReport:
    """Rows of a results table, printed for people, then the result line for machines."""

    exercise: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    console: Console = field(default_factory=Console)

    def add(self, *cells: object) -> None:
        self.rows.append([_fmt(cell) for cell in cells])

    def note(self, text: str) -> None:
        self.notes.append(text)

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        with self.console.status(text):
            yield

    def finish(self, metrics: dict[str, Any]) -> None:
        """Print the table and notes, then, last, the JSON line `{"exercise": ..., ...}`."""
        table = Table(title=self.title)
        for column in self.columns:
            table.add_column(column, justify="left" if column == self.columns[0] else "right")
        for row in self.rows:
            table.add_row(*row)
        self.console.print(table)
        for text in self.notes:
            self.console.print(f"  {text}")
        line = json.dumps({"exercise": self.exercise, **{k: _plain(v) for k, v in metrics.items()}})
        print(line, flush=True)


def _fmt(cell: object) -> str:
    if isinstance(cell, float):
        if math.isnan(cell):
            return "–"
        return f"{cell:,.0f}" if abs(cell) >= 100 else f"{cell:,.3g}"
    return str(cell)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value
