"""The per-hashtag window aggregate, as plain functions: Flink's AggregateFunction calls them.

Kept free of PyFlink so it can be tested in microseconds; the accumulator is mergeable (count and
sum, not a running mean), as Flink requires for session windows and for combining partial results.
"""

from __future__ import annotations

from typing import Any

from exercises.ex09_flink_sentiment.records import WindowStats


def create() -> WindowStats:
    return WindowStats()


def add(acc: WindowStats, tweet_id: str, polarity: float, label: str) -> WindowStats:
    acc.count += 1
    acc.polarity_sum += polarity
    acc.negative += 1 if label == "negative" else 0
    acc.ids.append(tweet_id)
    return acc


def merge(a: WindowStats, b: WindowStats) -> WindowStats:
    return WindowStats(
        a.count + b.count, a.polarity_sum + b.polarity_sum, a.negative + b.negative, a.ids + b.ids
    )


def result(acc: WindowStats) -> dict[str, Any]:
    """count, mean polarity and the share of negative tweets (0 for an empty window)."""
    if acc.count == 0:
        return {"count": 0, "mean_polarity": 0.0, "share_negative": 0.0, "ids": []}
    return {
        "count": acc.count,
        "mean_polarity": acc.polarity_sum / acc.count,
        "share_negative": acc.negative / acc.count,
        "ids": sorted(acc.ids),
    }
