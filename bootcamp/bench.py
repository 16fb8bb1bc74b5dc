"""The benchmark harness: figures for people, a chart, then one JSON line for machines.

Every benchmark measures its subject beside a baseline in the same run on the same machine (the raw
client, the bare server, another engine), and reports ratios against it, because an absolute figure
from a laptop says little, and a ratio says how much the design costs or buys.

An exercise's bench opts in to the rest with a line or two:

    report = BenchReport("ex07", "title", ["engine", "seconds", "lines/s"])
    report.chart("bar", x="engine", y="seconds")           # one panel of the PNG per call
    with report.progress(total=4):                         # each report.step() inside is one tick
        with report.step("DuckDB"):
            ...
    report.add("DuckDB", 1.2, 40_000.0)
    report.finish({"duckdb_s": 1.2})                       # table, notes, chart, then the JSON line

A point that measured nothing (NaN, infinity or None) is shown as "no data" in the table and the chart,
and as null in the JSON line, which is always valid JSON: a bench reports an empty measurement, it
never crashes on one.
"""

from __future__ import annotations

import atexit
import json
import math
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from bootcamp.paths import state_dir
from bootcamp.terminal import stdout_console

NO_DATA = "no data"
ChartKind = Literal["bar", "line"]
Row = Mapping[str, object]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ratio(value: float, baseline: float) -> float:
    """value / baseline, rounded for reading; NaN when the baseline is zero or either is missing."""
    if not (_finite(value) and _finite(baseline)) or not baseline:
        return math.nan
    return round(value / baseline, 3)


def rounded(value: float | None, digits: int | None = None) -> float | None:
    """`round` that survives a point that measured nothing: None for NaN, infinity or None.

    The builtin `round(nan)` raises ValueError, which is how a bench used to die on its last line."""
    if not _finite(value):
        return None
    assert value is not None
    return round(value, digits) if digits is not None else round(value)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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


@dataclass(frozen=True)
class Chart:
    """One panel of the bench's PNG, drawn from the table's own rows (the figures, not their text).

    kind "bar": one group of bars per distinct `x` label (the `x` columns joined), one bar per `y`
    column and `series` value: engines or runners side by side. kind "line": `x` is one numeric column
    (a rate, a batch size, a row count), one line per `y` column and `series` value: a sweep.
    `where` keeps only some rows (e.g. the transformer's, not the baselines'); `baselines` draws
    dashed horizontal reference lines, the figure the bars or lines are to be read against; `names`
    renames a y column in the legend (when a column holds different figures in different rows)."""

    kind: ChartKind
    x: tuple[str, ...]
    y: tuple[str, ...]
    series: tuple[str, ...] = ()
    where: Callable[[Row], bool] | None = None
    title: str | None = None
    ylabel: str | None = None
    xlabel: str | None = None
    logx: bool = False
    logy: bool = False
    baselines: Mapping[str, float] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)


class BenchProgress:
    """The running bar of `BenchReport.progress`; stopped by `finish`, by `with`, or at exit."""

    def __init__(self, report: BenchReport, total: int, description: str) -> None:
        self.report = report
        self.console = report.progress_console
        self.total, self.description, self.done = total, description, 0
        self.labels: list[str] = []
        self.started = time.perf_counter()
        self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True,
                            redirect_stdout=False)
        self.task: TaskID = self.bar.add_task(description, total=total)
        if self.console.is_terminal:  # elsewhere a bar draws nothing useful: `begin` prints lines instead
            self.bar.start()
            atexit.register(self.stop)  # a bench that dies between steps must not leave the cursor hidden

    def __enter__(self) -> BenchProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.report.end_progress()

    def advance(self, n: int = 1, done: str | None = None) -> None:
        """n steps done (`done` names them, for the log); a `step()` calls this when it ends."""
        self.done += n
        self.bar.update(self.task, advance=n, description=": ".join([self.description, *self.labels[-1:]]))
        if done is not None:
            self._log(f"[{self.done}/{self.total}] done: {done}")

    def begin(self, text: str) -> None:
        self.labels.append(text)
        self.bar.update(self.task, description=f"{self.description}: {text}")
        self._log(f"[{self.done + 1}/{self.total}] {text}")

    def end(self) -> None:
        if self.labels:
            self.labels.pop()
        self.advance()

    def _log(self, text: str) -> None:
        if not self.console.is_terminal:  # on a terminal the bar says it
            self.console.print(f"{self.description} {text} (at {time.perf_counter() - self.started:.0f} s)",
                               markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        if self.bar.live.is_started:
            self.bar.stop()
        atexit.unregister(self.stop)


@dataclass
class BenchReport:
    """Rows of a results table, printed for people, drawn as a chart, then the result line for machines."""

    exercise: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    values: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    console: Console = field(default_factory=stdout_console)
    # Progress goes to stderr, so that whatever happens the last line of stdout is the JSON line.
    progress_console: Console = field(default_factory=lambda: Console(stderr=True))
    chart_path: Path | None = None
    _ticker: BenchProgress | None = field(default=None, init=False, repr=False)

    def add(self, *cells: object) -> None:
        """One row: the cells in the order of `columns`, figures as numbers (the chart reads them)."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.exercise}: a row of {len(cells)} cells for {len(self.columns)} columns")
        self.values.append(dict(zip(self.columns, cells, strict=True)))
        self.rows.append([_fmt(cell) for cell in cells])

    def note(self, text: str) -> None:
        self.notes.append(text)

    def chart(self, kind: ChartKind, *, x: str | Sequence[str], y: str | Sequence[str],
              series: str | Sequence[str] = (), where: Callable[[Row], bool] | None = None,
              title: str | None = None, ylabel: str | None = None, xlabel: str | None = None,
              logx: bool = False, logy: bool = False, baselines: Mapping[str, float] | None = None,
              names: Mapping[str, str] | None = None) -> None:
        """Add a panel to the PNG that `finish` writes; see `Chart`. Columns are checked here, at once,
        so that a misspelt one fails the first quick run rather than the end of a long one."""
        spec = Chart(kind, _names(x), _names(y), _names(series), where, title, ylabel, xlabel, logx, logy,
                     dict(baselines or {}), dict(names or {}))
        unknown = [c for c in (*spec.x, *spec.y, *spec.series) if c not in self.columns]
        if unknown:
            raise ValueError(f"{self.exercise}: chart columns {unknown} are not among {self.columns}")
        if kind == "line" and len(spec.x) != 1:
            raise ValueError(f"{self.exercise}: a line chart takes one numeric x column, not {spec.x}")
        self.charts.append(spec)

    def progress(self, total: int, description: str | None = None) -> BenchProgress:
        """Start a progress bar of `total` steps: every `step()` from now on is one tick (or call
        `advance()`). One line is enough, `report.progress(8)`, and `finish` ends it; `with
        report.progress(8):` ends it at the block's end. On a terminal it is a transient bar on stderr;
        elsewhere (CI, a pipe), one line per step on stderr, so a long run's log shows where it is."""
        self.end_progress()
        self._ticker = BenchProgress(self, total, description or self.exercise)
        return self._ticker

    def advance(self, done: str, n: int = 1) -> None:
        """Tick the running progress bar by hand, for a bench whose stages are not `step()`s (async
        code): `done` names what was just measured."""
        if self._ticker is not None:
            self._ticker.advance(n, done)

    def end_progress(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        """A named stage of the bench: a spinner, or, inside `progress`, the bar's label and one tick."""
        ticker = self._ticker
        if ticker is None:
            with self.console.status(text):
                yield
            return
        ticker.begin(text)
        try:
            yield
        finally:
            ticker.end()

    def finish(self, metrics: dict[str, Any]) -> None:
        """Print the table and notes, write the chart, then, last, the JSON line `{"exercise": ...}`."""
        table = Table(title=self.title)
        for column in self.columns:
            table.add_column(column, justify="left" if column == self.columns[0] else "right")
        for row in self.rows:
            table.add_row(*row)
        self.end_progress()
        self.console.print(table)
        for text in self.notes:
            self.console.print(f"  {text}", markup=False, highlight=False)
        try:
            self.chart_path = self.draw(state_dir() / "bench" / f"{self.exercise}.png")
            self.console.print(f"  chart: {self.chart_path}", markup=False, highlight=False,
                               soft_wrap=True)  # one line, whatever the width: tools look for it
        except Exception as exc:  # a chart that fails must not cost the figures
            self.console.print(f"  chart not drawn: {type(exc).__name__}: {exc}", markup=False,
                               highlight=False)
        print(result_line(self.exercise, metrics), flush=True)

    def draw(self, path: Path) -> Path:
        """Write the declared panels (or, if none, bars of the first figure column) as a PNG."""
        import matplotlib

        matplotlib.use("Agg")  # no display here, and none needed: a file is the product
        import matplotlib.pyplot as plt

        charts = self.charts or [self._default_chart()]
        fig, axes = plt.subplots(len(charts), 1, figsize=(9.5, 4.2 * len(charts)), squeeze=False)
        try:
            for ax, spec in zip(axes[:, 0], charts, strict=True):
                rows: list[Row] = [r for r in self.values if spec.where is None or spec.where(r)]
                (_draw_bars if spec.kind == "bar" else _draw_lines)(ax, spec, rows)
                ax.set_title(spec.title or "", fontsize=10)
                ax.set_ylabel(spec.ylabel or ", ".join(spec.y))
                if spec.logy and ax.has_data():
                    ax.set_yscale("log")
                ax.grid(axis="y", alpha=0.3)
                if ax.get_legend_handles_labels()[0]:
                    ax.legend(fontsize=8)
            fig.suptitle("\n".join(textwrap.wrap(self.title, 90)), fontsize=11)
            fig.tight_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=110)
        finally:
            plt.close(fig)
        return path

    def _default_chart(self) -> Chart:
        figures = [c for c in self.columns[1:] if any(_finite(r.get(c)) for r in self.values)]
        return Chart("bar", (self.columns[0],), tuple(figures[:1]) or (self.columns[-1],))


def result_line(exercise: str, metrics: Mapping[str, Any]) -> str:
    """The machine-readable line: valid JSON whatever was measured (no bare NaN: missing is null)."""
    return json.dumps({"exercise": exercise, **{str(k): _plain(v) for k, v in metrics.items()}},
                      allow_nan=False, default=_json_default)


def _names(columns: str | Sequence[str]) -> tuple[str, ...]:
    return (columns,) if isinstance(columns, str) else tuple(columns)


def _fmt(cell: object) -> str:
    if cell is None:
        return NO_DATA
    if isinstance(cell, float):
        if not math.isfinite(cell):
            return NO_DATA
        return f"{cell:,.0f}" if abs(cell) >= 100 else f"{cell:,.3g}"
    return str(cell)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _plain(item())
    return str(value)


def _label(row: Row, columns: tuple[str, ...]) -> str:
    return " ".join(_fmt(row.get(c)) for c in columns if row.get(c) not in ("", "–", None))


def _series_label(row: Row, columns: tuple[str, ...]) -> str:
    """A legend entry: text values as they are ("read"), numbers with their column ("rows 5,000")."""
    parts = [(_fmt(v) if isinstance(v, str) else f"{c} {_fmt(v)}")
             for c in columns if (v := row.get(c)) not in ("", "–", None)]
    return ", ".join(parts)


def _series(spec: Chart, rows: Sequence[Row]) -> list[tuple[str, str, list[Row]]]:
    """(legend label, y column, rows) for every series value and y column, in first-seen order."""
    keys: dict[str, list[Row]] = {}
    for row in rows:
        keys.setdefault(_series_label(row, spec.series), []).append(row)
    out = []
    for key, members in keys.items():
        for column in spec.y:
            name = spec.names.get(column, column) if len(spec.y) > 1 or column in spec.names else ""
            legend = ", ".join(p for p in (key, name) if p)
            out.append((legend, column, members))
    return out


def _no_data(ax: Any) -> None:
    ax.text(0.5, 0.5, NO_DATA, transform=ax.transAxes, ha="center", va="center", fontsize=14,
            color="grey")


def _draw_bars(ax: Any, spec: Chart, rows: Sequence[Row]) -> None:
    labels = list(dict.fromkeys(_label(r, spec.x) for r in rows))
    groups = _series(spec, rows)
    if not labels or not any(_finite(r.get(c)) for _l, c, members in groups for r in members):
        _no_data(ax)
        return
    width = 0.8 / max(1, len(groups))
    for n, (legend, column, members) in enumerate(groups):
        by_label = {_label(r, spec.x): r.get(column) for r in members}
        xs = [i - 0.4 + width * (n + 0.5) for i in range(len(labels))]
        heights = [float(v) if _finite(v) else 0.0 for v in (by_label.get(lab) for lab in labels)]  # type: ignore[arg-type]
        bars = ax.bar(xs, heights, width * 0.95, label=legend or None)
        ax.bar_label(bars, labels=[_fmt(by_label[lab]) if lab in by_label else "" for lab in labels],
                     fontsize=7, padding=2)
    ax.set_xticks(range(len(labels)), ["\n".join(textwrap.wrap(lab, 18)) or "?" for lab in labels],
                  fontsize=8)
    _baselines(ax, spec)


def _draw_lines(ax: Any, spec: Chart, rows: Sequence[Row]) -> None:
    drawn = False
    for legend, column, members in _series(spec, rows):
        points = sorted((float(r[spec.x[0]]), float(r[column]))  # type: ignore[arg-type]
                        for r in members if _finite(r.get(spec.x[0])) and _finite(r.get(column)))
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=legend or None)
            drawn = True
    if not drawn:
        _no_data(ax)
        return
    ax.set_xlabel(spec.xlabel or spec.x[0])
    if spec.logx:
        ax.set_xscale("log")
    if not spec.logy:
        ax.set_ylim(bottom=0)  # a sweep read from zero: a 10 % dip must not look like a cliff
    _baselines(ax, spec)


def _baselines(ax: Any, spec: Chart) -> None:
    for n, (label, value) in enumerate(spec.baselines.items()):
        if _finite(value):
            ax.axhline(value, linestyle="--", linewidth=1, color=f"C{(n + 5) % 10}", label=label)

