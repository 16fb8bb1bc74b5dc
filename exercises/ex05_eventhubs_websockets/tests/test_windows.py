"""The learner's WindowAggregator, in process: event time, bounded lateness, the checkpoint."""

from __future__ import annotations

from typing import Any

import pytest

from ..events import Aggregate, Event, Position
from ..generator import readings
from ..harness import offline_windows

T0 = 1_764_633_600_000  # a whole second


def feed(aggregator: Any, events: list[Event], partition: int = 0) -> list[Aggregate]:
    out: list[Aggregate] = []
    for offset, event in enumerate(events):
        out += aggregator.add(event, Position(partition, offset))
    return out


def latest(out: list[Aggregate]) -> dict[tuple[str, int], Aggregate]:
    return {(a.source, a.start_ms): a for a in out}


def same(got: Aggregate, want: Aggregate) -> bool:
    return (got.count, got.min, got.max) == (want.count, want.min, want.max) \
        and got.mean == pytest.approx(want.mean)


def test_aggregates_equal_an_offline_computation_from_the_same_readings(impl: Any) -> None:
    events = readings(4000, rate=400, start_ms=T0, disorder_ms=600)
    out = latest(feed(impl.windows.WindowAggregator(1000, 2000), events))
    want = offline_windows(events, 1000, 2000)
    assert len(want) >= 36
    assert set(out) == set(want), "windows are one second of EVENT time per source (not arrival time)"
    wrong = [key for key in want if not same(out[key], want[key])]
    assert wrong == [], f"windows differ from the offline computation (first: {out[wrong[0]]} " \
        f"vs {want[wrong[0]]}): are windows keyed by the reading's event time?" if wrong else ""


def test_windows_follow_event_time_not_arrival_time(impl: Any) -> None:
    """Readings of five seconds arrive at once, two per second: five windows of two, not one of ten."""
    events = [Event("s", T0 + 1000 * (i // 2) + 10 * (i % 2), float(i)) for i in range(10)]
    events.append(Event("s", T0 + 9000, 0.0))  # moves the watermark past them all
    out = latest(feed(impl.windows.WindowAggregator(1000, 2000), events))
    counts = {start - T0: a.count for (_s, start), a in out.items()}
    assert counts == {0: 2, 1000: 2, 2000: 2, 3000: 2, 4000: 2}, \
        f"windows by arrival time instead of event time: {counts}"


def test_a_late_reading_within_the_bound_updates_its_window(impl: Any) -> None:
    aggregator = impl.windows.WindowAggregator(1000, 2000)
    assert feed(aggregator, [Event("s", T0 + 100, 1.0)]) == []
    fired = aggregator.add(Event("s", T0 + 2500, 5.0), Position(0, 1))  # watermark 2.5 s: [0, 1) fires
    assert [(a.start_ms - T0, a.count, a.revision) for a in fired] == [(0, 1, 0)]
    late = aggregator.add(Event("s", T0 + 900, 3.0), Position(0, 2))  # 1.6 s behind, within 2 s
    assert len(late) == 1, "a late reading within the allowed lateness must update its window " \
        "(and emit it again), not be dropped"
    assert (late[0].start_ms - T0, late[0].count, late[0].mean, late[0].min, late[0].max,
            late[0].revision) == (0, 2, 2.0, 1.0, 3.0, 1)
    assert aggregator.dropped == 0


def test_a_reading_later_than_the_bound_is_dropped_and_counted(impl: Any) -> None:
    aggregator = impl.windows.WindowAggregator(1000, 2000)
    feed(aggregator, [Event("s", T0 + 100, 1.0), Event("s", T0 + 3000, 2.0)])  # [0,1) closes at 3 s
    assert aggregator.add(Event("s", T0 + 999, 9.0), Position(0, 2)) == [], \
        "a reading for a window past end + lateness must not reopen it"
    assert aggregator.dropped == 1, "a reading later than the bound is counted as dropped"
    other = aggregator.add(Event("t", T0 + 100, 1.0), Position(0, 3))  # another source's own watermark
    assert other == [], "each source has its own watermark"
    assert aggregator.dropped == 1


def test_the_checkpoint_is_the_oldest_offset_an_open_window_needs(impl: Any) -> None:
    aggregator = impl.windows.WindowAggregator(1000, 2000)
    events = [Event("s", T0 + 100, 1.0), Event("s", T0 + 1100, 1.0), Event("s", T0 + 2100, 1.0),
              Event("s", T0 + 3200, 1.0)]  # watermark 3.2 s: [0, 1) is closed, [1, 2) still open
    feed(aggregator, events, partition=1)
    point = aggregator.checkpoint()[1]
    assert point.offset == 1, "commit the oldest offset an open window still needs (offset 1, the " \
        f"first reading of the open window [1 s, 2 s)), not {point.offset}: committing the last " \
        "offset read loses the open windows' readings on a restart"
    assert point.watermarks == {"s": T0 + 3200}
    aggregator.add(Event("s", T0 + 9000, 1.0), Position(1, 4))  # closes all but [9 s, 10 s)
    assert aggregator.checkpoint()[1].offset == 4


def test_restored_watermarks_keep_closed_windows_closed(impl: Any) -> None:
    aggregator = impl.windows.WindowAggregator(1000, 2000)
    aggregator.restore({"s": T0 + 5000})
    assert aggregator.add(Event("s", T0 + 1500, 1.0), Position(0, 0)) == []
    assert aggregator.dropped == 1, "a restored watermark applies to the readings replayed after it"
