"""Reading a whole Cassandra table in parallel, by token ranges, every partition exactly once.

Cassandra places each partition on the ring at `token(partition key)` (Murmur3: a signed 64-bit
hash). Each node token t_i owns the range (t_{i-1}, t_i]: start excluded, end included. The last
range wraps around: (t_last, MAX] and then [MIN, t_first]. Splitting the ring into N contiguous,
non-overlapping ranges and querying `token(pk) > start AND token(pk) <= end` for each, as Beam's Java
CassandraIO and Spark's connector do, reads every partition exactly once, N ranges in parallel.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from exercises.ex10_anomaly_detection.records import MAX_TOKEN, MIN_TOKEN, PARTITION_KEY, TokenRange


def ring_ranges(tokens: Sequence[int]) -> list[TokenRange]:
    """The ranges the ring's tokens define, in token order, covering (MIN_TOKEN, MAX_TOKEN] once.

    `tokens` are the nodes' tokens (any order, maybe repeated). Each consecutive pair (a, b] is one
    range; the wrap-around range (last, first] is returned as its two halves (last, MAX_TOKEN] and
    (MIN_TOKEN, first], since a query cannot say "token > last OR token <= first" in one range.
    """
    ordered = sorted(set(tokens))
    if not ordered:
        return [TokenRange(MIN_TOKEN, MAX_TOKEN)]
    ranges = [TokenRange(MIN_TOKEN, ordered[0])] if ordered[0] > MIN_TOKEN else []
    ranges += [TokenRange(a, b) for a, b in itertools.pairwise(ordered)]
    if ordered[-1] < MAX_TOKEN:
        ranges.append(TokenRange(ordered[-1], MAX_TOKEN))
    return ranges


def split_range(token_range: TokenRange, parts: int) -> list[TokenRange]:
    """`token_range` cut into `parts` contiguous sub-ranges of (nearly) equal width.

    Each sub-range starts exactly where the previous one ends (the start is exclusive), the first
    starts at the range's start and the last ends at its end. A range narrower than `parts` tokens
    gives one sub-range per token.
    """
    parts = max(1, min(parts, token_range.width))
    bounds = [token_range.start + (token_range.width * i) // parts for i in range(parts)] + [token_range.end]
    return [TokenRange(a, b) for a, b in itertools.pairwise(bounds)]


def split_ring(tokens: Sequence[int], splits: int) -> list[TokenRange]:
    """About `splits` ranges covering the ring once: each of the ring's ranges cut in proportion to
    its width (at least one piece each), so every piece holds about the same share of the data."""
    ranges = ring_ranges(tokens)
    total = sum(r.width for r in ranges)
    out: list[TokenRange] = []
    for token_range in ranges:
        out += split_range(token_range, max(1, round(splits * token_range.width / total)))
    return out


def range_query(keyspace: str, table: str) -> str:
    """The CQL that reads the rows whose partition token lies in one range, bound as (start, end)."""
    token = f"token({', '.join(PARTITION_KEY)})"
    return (f"SELECT device_id, day, ts, value, location FROM {keyspace}.{table} "  # noqa: S608  # names only
            f"WHERE {token} > ? AND {token} <= ?")


def read_range(session: Any, statement: Any, token_range: TokenRange,
               fetch_size: int = 1000) -> Iterator[Any]:
    """Every row of one token range: the prepared `statement` bound to its bounds, read page by page
    (`fetch_size` rows a page: the driver fetches the next page as the iteration reaches it)."""
    bound = statement.bind((token_range.start, token_range.end))
    bound.fetch_size = fetch_size
    yield from session.execute(bound)
