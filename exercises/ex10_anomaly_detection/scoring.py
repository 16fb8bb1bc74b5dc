"""Scores against the labels, and the per-device plot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exercises.ex10_anomaly_detection.generator import Series

MARKERS = {"iqr": ("s", "tab:orange"), "shesd": ("^", "tab:green"), "lof": ("x", "tab:purple"),
           "zscore": ("+", "tab:gray")}


@dataclass(frozen=True)
class Score:
    found: int
    hits: int
    truth: int

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def labelled_keys(series: Iterable[Series]) -> set[tuple[str, int]]:
    """(device_id, time in ms) of every labelled reading."""
    return {(s.device_id, int(s.ts[i].timestamp() * 1000)) for s in series for i in s.labels}


def score(found: set[tuple[str, int]], truth: set[tuple[str, int]]) -> Score:
    """Point-wise: a reading flagged and labelled is a hit (a level shift of six readings is six)."""
    return Score(len(found), len(found & truth), len(truth))


def plot_device(series: Series, found: Mapping[str, set[tuple[str, int]]], path: Path) -> Path:
    """The series, its labelled anomalies (red rings) and each detector's findings (markers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import date2num

    def num(dates: list[datetime]) -> Any:  # matplotlib's date axis, typed
        return date2num(dates)  # type: ignore[no-untyped-call]

    fig, ax = plt.subplots(figsize=(12, 4))
    try:
        ax.plot(num(series.ts), series.values, lw=0.8, color="tab:blue",
                label=f"{series.device_id} ({series.location})")
        ax.xaxis_date()
        labelled = sorted(series.labels)
        ax.scatter(num([series.ts[i] for i in labelled]), [series.values[i] for i in labelled], s=90,
                   facecolors="none", edgecolors="red", linewidths=1.5, label="labelled anomaly", zorder=3)
        by_ms = {int(t.timestamp() * 1000): v for t, v in zip(series.ts, series.values, strict=True)}
        for name, keys in found.items():
            times = sorted(ms for device, ms in keys if device == series.device_id and ms in by_ms)
            marker, colour = MARKERS.get(name, ("o", "black"))
            moments = [datetime.fromtimestamp(ms / 1000, UTC) for ms in times]
            ax.scatter(num(moments), [by_ms[ms] for ms in times],
                       marker=marker, color=colour, s=30, label=f"{name} ({len(times)})", zorder=4)
        ax.set_ylabel("value")
        ax.legend(fontsize=8, ncol=3, loc="upper left")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=90)
    finally:
        plt.close(fig)
    return path
