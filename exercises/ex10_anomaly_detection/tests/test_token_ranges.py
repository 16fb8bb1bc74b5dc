"""The token-range read: ranges that tile the ring exactly, and a read that returns every row once."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from bootcamp.testing.plugin import Implementation
from exercises.ex10_anomaly_detection.pipeline import ring_tokens
from exercises.ex10_anomaly_detection.records import MAX_TOKEN, MIN_TOKEN, TABLE, TokenRange
from exercises.ex10_anomaly_detection.tests.conftest import Dataset


def assert_tiles(ranges: list[TokenRange], start: int, end: int) -> None:
    """The ranges run from `start` to `end`, each starting exactly where the previous ended."""
    assert ranges, "no ranges"
    assert ranges[0].start == start, f"the first range starts at {ranges[0].start}, not {start}"
    assert ranges[-1].end == end, f"the last range ends at {ranges[-1].end}, not {end}"
    for before, after in itertools.pairwise(ranges):
        assert after.start == before.end, (
            f"ranges overlap or gap at their bounds: {before} then {after} (a range is start < t <= end: "
            "the next one must start exactly at the previous end)")
        assert after.end > after.start, f"empty or reversed range {after}"


def test_split_range_tiles_the_range(impl: Implementation) -> None:
    for token_range, parts in ((TokenRange(-100, 100), 7), (TokenRange(MIN_TOKEN, MAX_TOKEN), 5),
                               (TokenRange(10, 13), 8)):
        ranges = impl.token_ranges.split_range(token_range, parts)
        assert_tiles(ranges, token_range.start, token_range.end)
        assert len(ranges) == min(parts, token_range.width)
        widths = [r.width for r in ranges]
        assert max(widths) - min(widths) <= 1, f"unequal split of {token_range}: {widths}"


def test_ring_ranges_include_the_wrap_around_range(impl: Implementation) -> None:
    ranges = impl.token_ranges.ring_ranges([30, -50, 10, 10])
    assert ranges == [TokenRange(MIN_TOKEN, -50), TokenRange(-50, 10), TokenRange(10, 30),
                      TokenRange(30, MAX_TOKEN)], (
        f"got {ranges}: the ring's ranges are (a, b] between consecutive tokens, plus the wrap-around "
        "range (last, first] as (last, MAX_TOKEN] and (MIN_TOKEN, first]")
    assert impl.token_ranges.ring_ranges([]) == [TokenRange(MIN_TOKEN, MAX_TOKEN)]


def test_split_ring_tiles_the_whole_ring(impl: Implementation) -> None:
    ranges = impl.token_ranges.split_ring([-(2**62), 0, 2**61, 2**62 + 5], 16)
    assert_tiles(ranges, MIN_TOKEN, MAX_TOKEN)
    assert 12 <= len(ranges) <= 20, f"asked for about 16 ranges, got {len(ranges)}"


def _read_all(impl: Implementation, session: Any, keyspace: str, ranges: list[TokenRange]) -> Counter[Any]:
    statement = session.prepare(impl.token_ranges.range_query(keyspace, TABLE))
    read: Counter[Any] = Counter()
    for token_range in ranges:
        for row in impl.token_ranges.read_range(session, statement, token_range, 50):
            read[(row.device_id, row.day, row.ts)] += 1
    return read


def _compare(read: Counter[Any], full_scan: list[Any]) -> None:
    expected = Counter(full_scan)
    twice = {key: n for key, n in read.items() if n > 1}
    assert not twice, (f"{len(twice)} rows read more than once: the ranges overlap at their bounds "
                       "(the start of a range is exclusive: token > start AND token <= end)")
    missing = expected.keys() - read.keys()
    assert not missing, (f"{len(missing)} of {len(expected)} rows never read: a gap at the range bounds "
                         "(token > start AND token <= end), or the wrap-around range left out")
    assert read == expected


def test_range_read_returns_every_row_exactly_once(impl: Implementation, session: Any, dataset: Dataset,
                                                   full_scan: list[Any]) -> None:
    """The ring's tokens are placed exactly on partitions' tokens (inner ones: partitions lie below
    the first and above the last), so an inclusive start reads a partition twice, an exclusive end
    misses it, and a missing wrap-around range misses the partitions at both ends."""
    tokens = sorted({r.t for r in session.execute(
        f"SELECT token(device_id, day) AS t FROM {dataset.keyspace}.{TABLE}")})
    assert len(tokens) >= 8
    on_partitions = [tokens[len(tokens) * q // 4] for q in (1, 2, 3)]
    ranges = impl.token_ranges.ring_ranges(on_partitions)
    _compare(_read_all(impl, session, dataset.keyspace, ranges), full_scan)


def test_split_of_the_real_ring_reads_every_row_exactly_once(impl: Implementation, session: Any,
                                                             dataset: Dataset, full_scan: list[Any]) -> None:
    ranges = impl.token_ranges.split_ring(ring_tokens(), 7)
    assert_tiles(ranges, MIN_TOKEN, MAX_TOKEN)
    _compare(_read_all(impl, session, dataset.keyspace, ranges), full_scan)
