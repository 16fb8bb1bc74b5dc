"""The per-hashtag window aggregate, as plain functions: Flink's AggregateFunction calls them."""

from __future__ import annotations

from typing import Any

from exercises.ex09_flink_sentiment.records import WindowStats


def create() -> WindowStats:
    raise NotImplementedError("aggregate.create: an empty accumulator")


def add(acc: WindowStats, tweet_id: str, polarity: float, label: str) -> WindowStats:
    raise NotImplementedError("aggregate.add: fold one tweet into the accumulator")


def merge(a: WindowStats, b: WindowStats) -> WindowStats:
    raise NotImplementedError("aggregate.merge: combine two accumulators")


def result(acc: WindowStats) -> dict[str, Any]:
    """count, mean polarity and the share of negative tweets (0 for an empty window)."""
    raise NotImplementedError("aggregate.result: count, mean_polarity, share_negative, ids")
