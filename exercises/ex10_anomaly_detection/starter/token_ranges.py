"""Reading a whole Cassandra table in parallel, by token ranges, every partition exactly once.

Cassandra places each partition on the ring at `token(partition key)` (Murmur3: a signed 64-bit
hash). Each node token t_i owns the range (t_{i-1}, t_i]: start excluded, end included. The last
range wraps around: (t_last, MAX] and then [MIN, t_first]. Splitting the ring into N contiguous,
non-overlapping ranges and querying `token(pk) > start AND token(pk) <= end` for each, as Beam's Java
CassandraIO and Spark's connector do, reads every partition exactly once, N ranges in parallel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from exercises.ex10_anomaly_detection.records import MAX_TOKEN, MIN_TOKEN, PARTITION_KEY, TokenRange

__all__ = ["MAX_TOKEN", "MIN_TOKEN", "PARTITION_KEY", "TokenRange"]


def ring_ranges(tokens: Sequence[int]) -> list[TokenRange]:
    """The ranges the ring's tokens define, in token order, covering (MIN_TOKEN, MAX_TOKEN] once.

    `tokens` are the nodes' tokens (any order, maybe repeated). Each consecutive pair (a, b] is one
    range; the wrap-around range (last, first] is returned as its two halves (last, MAX_TOKEN] and
    (MIN_TOKEN, first], since a query cannot say "token > last OR token <= first" in one range.
    An empty ring is the one range (MIN_TOKEN, MAX_TOKEN].
    """
    raise NotImplementedError("ring_ranges: the ring's ranges, the wrap-around one included")


def split_range(token_range: TokenRange, parts: int) -> list[TokenRange]:
    """`token_range` cut into `parts` contiguous sub-ranges of (nearly) equal width.

    Each sub-range starts exactly where the previous one ends (the start is exclusive), the first
    starts at the range's start and the last ends at its end. A range narrower than `parts` tokens
    gives one sub-range per token.
    """
    raise NotImplementedError("split_range: contiguous sub-ranges of one range")


def split_ring(tokens: Sequence[int], splits: int) -> list[TokenRange]:
    """About `splits` ranges covering the ring once: each of the ring's ranges cut in proportion to
    its width (at least one piece each), so every piece holds about the same share of the data."""
    raise NotImplementedError("split_ring: about `splits` ranges over the whole ring")


def range_query(keyspace: str, table: str) -> str:
    """The CQL that reads the rows whose partition token lies in one range, bound as (start, end).

    Select device_id, day, ts, value, location; the partition key is PARTITION_KEY."""
    raise NotImplementedError("range_query: SELECT ... WHERE token(...) ... ? AND token(...) ... ?")


def read_range(session: Any, statement: Any, token_range: TokenRange,
               fetch_size: int = 1000) -> Iterator[Any]:
    """Every row of one token range: the prepared `statement` bound to its bounds, read page by page
    (`fetch_size` rows a page: the driver fetches the next page as the iteration reaches it)."""
    raise NotImplementedError("read_range: bind the range's bounds, set the page size, yield the rows")
