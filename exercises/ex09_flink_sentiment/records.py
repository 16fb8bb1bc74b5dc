"""The records the job passes between its steps, and their JSON forms on the Kafka topics.

Provided, standard library only: both the main environment and the Flink environment import it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tweet:
    """A validated tweet: what the job needs of v2's `data` object."""

    id: str
    text: str
    created_at_ms: int
    """Event time, epoch milliseconds (UTC), from `created_at`."""
    hashtags: tuple[str, ...] = ()
    """Lower-cased, without `#`, each once."""
    lang: str = "und"


@dataclass(frozen=True)
class Rejected:
    """A record the job could not use, for the dead-letter topic: why, and the original payload."""

    reason: str
    raw: str
    stage: str = "parse"

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass(frozen=True)
class Sentiment:
    """One text's scores: TextBlob's polarity and label (the job's verdict) beside VADER's compound."""

    polarity: float
    """TextBlob PatternAnalyzer, -1 .. 1."""
    label: str
    """positive, negative or neutral, from the polarity."""
    vader: float
    """VADER's compound score, -1 .. 1, for comparison."""


@dataclass(frozen=True)
class ScoredTweet:
    tweet: Tweet
    sentiment: Sentiment

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.tweet.id,
                "created_at_ms": self.tweet.created_at_ms,
                "hashtags": list(self.tweet.hashtags),
                "lang": self.tweet.lang,
                "text": self.tweet.text,
                **asdict(self.sentiment),
            }
        )


@dataclass
class WindowStats:
    """The accumulator of one hashtag's window: enough to merge partial results and compute the mean."""

    count: int = 0
    polarity_sum: float = 0.0
    negative: int = 0
    ids: list[str] = field(default_factory=list)


def aggregate_json(hashtag: str, start_ms: int, end_ms: int, result: dict[str, Any]) -> str:
    return json.dumps({"hashtag": hashtag, "window_start_ms": start_ms, "window_end_ms": end_ms, **result})
