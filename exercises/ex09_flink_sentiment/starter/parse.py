"""Parse and validate one raw tweet: a `Tweet`, or a `Rejected` with the reason for the dead-letter topic."""

from __future__ import annotations

from exercises.ex09_flink_sentiment.records import Rejected, Tweet


def event_time_ms(created_at: str) -> int:
    """v2's `created_at` (ISO 8601 with a `Z`) as epoch milliseconds; ValueError if it is not one."""
    raise NotImplementedError("parse.event_time_ms: turn created_at into epoch milliseconds")


def parse_tweet(raw: str) -> Tweet | Rejected:
    """One Kafka value from the `tweets` topic, checked field by field; never raises.

    Invalid JSON, a non-object, a missing id/text/created_at, a non-string or empty text and a bad
    created_at each become a `Rejected(reason, raw)`; hashtags come lower-cased from entities.hashtags.
    """
    raise NotImplementedError("parse.parse_tweet: validate the tweet, or reject it with a reason")
