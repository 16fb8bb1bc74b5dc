"""Per-second aggregates per source over event-time windows, with a bounded lateness: yours to write.

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
class Checkpoint:
    """What to commit for one partition: the offset to resume from, and the watermarks (by source) of
    the sources read from it."""

    offset: int
    watermarks: dict[str, int] = field(default_factory=dict)


class WindowAggregator:
    """Tumbling event-time windows of `window_ms` per source; readings up to `lateness_ms` behind
    their source's watermark still count."""

    def __init__(self, window_ms: int = 1000, lateness_ms: int = 2000) -> None:
        raise NotImplementedError("WindowAggregator: keep per-source watermarks and windows "
                                  "(starter/windows.py)")

    def add(self, event: Event, position: Position) -> list[Aggregate]:
        """Take one reading; return the aggregates it changed or fired, oldest window first."""
        raise NotImplementedError("WindowAggregator.add (starter/windows.py)")

    def checkpoint(self) -> dict[int, Checkpoint]:
        """Per partition read: the offset to resume from and the watermarks to restore."""
        raise NotImplementedError("WindowAggregator.checkpoint (starter/windows.py)")

    def restore(self, watermarks: dict[str, int]) -> None:
        """Start from a checkpoint's watermarks (before reading from its offset)."""
        raise NotImplementedError("WindowAggregator.restore (starter/windows.py)")
