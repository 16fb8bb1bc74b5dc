"""Per-second aggregates per source over event-time windows, with a bounded lateness (the learner's part).

Each source has its own watermark: the newest event time seen from it. A source is one key, so one
partition, read in order; its watermark does not depend on how the consumer interleaves partitions.

- A window [start, start + window) fires (revision 0) once its source's watermark reaches its end.
- A reading for a window that has fired, while the watermark is less than end + lateness, updates
  it: the window is emitted again with revision + 1.
- A reading for a window with end + lateness <= watermark is too late: counted in `dropped`, never
  emitted. That window's state is gone (purged when the watermark passed that point).

`checkpoint()` is what the consumer may commit: per partition, the oldest offset that a window still
held needs (replaying from there rebuilds every open window), with the watermarks to restore, so a
restarted consumer drops what this one had already closed instead of opening it again half-full.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..events import Aggregate, Event, Position


@dataclass
class _Window:
    count: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")
    first_offset: int = -1
    revision: int = -1  # -1: not fired yet

    def add(self, value: float, offset: int) -> None:
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        if self.first_offset < 0 or offset < self.first_offset:
            self.first_offset = offset


@dataclass
class Checkpoint:
    """What to commit for one partition: the offset to resume from, and the watermarks (by source) of
    the sources read from it."""

    offset: int
    watermarks: dict[str, int] = field(default_factory=dict)


class WindowAggregator:
    """Tumbling event-time windows of `window_ms` per source; readings up to `lateness_ms` behind
    their source's watermark still count."""

    def __init__(self, window_ms: int = 1000, lateness_ms: int = 2000) -> None:
        self.window_ms = window_ms
        self.lateness_ms = lateness_ms
        self.dropped = 0
        self._watermark: dict[str, int] = {}
        self._windows: dict[str, dict[int, _Window]] = {}
        self._partition_of: dict[str, int] = {}
        self._next_offset: dict[int, int] = {}

    def add(self, event: Event, position: Position) -> list[Aggregate]:
        """Take one reading; return the aggregates it changed or fired, oldest window first."""
        source = event.source
        self._partition_of[source] = position.partition
        self._next_offset[position.partition] = max(self._next_offset.get(position.partition, 0),
                                                    position.offset + 1)
        start = event.time_ms - event.time_ms % self.window_ms
        watermark = self._watermark.get(source)
        if watermark is not None and start + self.window_ms + self.lateness_ms <= watermark:
            self.dropped += 1
            return []
        watermark = event.time_ms if watermark is None else max(watermark, event.time_ms)
        self._watermark[source] = watermark
        windows = self._windows.setdefault(source, {})
        window = windows.setdefault(start, _Window())
        window.add(event.value, position.offset)
        out: list[Aggregate] = []
        if window.revision >= 0:  # fired already: a late reading within the bound updates it
            window.revision += 1
            out.append(self._aggregate(source, start, window))
        for begin in sorted(windows):
            held = windows[begin]
            end = begin + self.window_ms
            if held.revision < 0 and end <= watermark:
                held.revision = 0
                out.append(self._aggregate(source, begin, held))
            if end + self.lateness_ms <= watermark:
                del windows[begin]
        return out

    def _aggregate(self, source: str, start: int, window: _Window) -> Aggregate:
        return Aggregate(source, start, window.count, window.total / window.count, window.low,
                         window.high, window.revision)

    def checkpoint(self) -> dict[int, Checkpoint]:
        """Per partition read: the offset to resume from and the watermarks to restore."""
        points = {partition: Checkpoint(offset) for partition, offset in self._next_offset.items()}
        for source, windows in self._windows.items():
            point = points[self._partition_of[source]]
            point.watermarks[source] = self._watermark[source]
            for window in windows.values():
                point.offset = min(point.offset, window.first_offset)
        for source, partition in self._partition_of.items():
            points[partition].watermarks.setdefault(source, self._watermark[source])
        return points

    def restore(self, watermarks: dict[str, int]) -> None:
        """Start from a checkpoint's watermarks (before reading from its offset)."""
        for source, watermark in watermarks.items():
            self._watermark[source] = max(self._watermark.get(source, watermark), watermark)
