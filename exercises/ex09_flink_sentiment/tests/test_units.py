"""The learner's plain functions, in the main environment, in milliseconds: parsing and its dead-letter
reasons, scoring against hand-labelled tweets (both analyzers), the window aggregate, the job's options."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bootcamp.testing.plugin import Implementation
from exercises.ex09_flink_sentiment import generator
from exercises.ex09_flink_sentiment.config import JobSettings
from exercises.ex09_flink_sentiment.records import Rejected, Tweet

GOOD: dict[str, Any] = {
    "id": "7",
    "text": "Loving #Flink and #flink today",
    "created_at": "2026-01-01T00:00:05.250Z",
    "lang": "en",
    "entities": {"hashtags": [{"tag": "Flink"}, {"tag": "flink"}]},
}


def test_a_good_tweet_parses(impl: Implementation) -> None:
    tweet = impl.parse.parse_tweet(json.dumps(GOOD))
    assert tweet == Tweet(
        id="7", text=GOOD["text"], created_at_ms=1767225605250, hashtags=("flink",), lang="en"
    )


def test_a_stream_envelope_parses(impl: Implementation) -> None:
    tweet = impl.parse.parse_tweet(json.dumps({"data": GOOD, "matching_rules": [{"id": "1", "tag": "x"}]}))
    assert isinstance(tweet, Tweet)
    assert tweet.id == "7"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not a JSON object"),
        ("", "invalid JSON"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "text"}), "missing field: text"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "id"}), "missing field: id"),
        (json.dumps({**GOOD, "text": "  "}), "empty text"),
        (json.dumps({**GOOD, "text": 42}), "text is not a string"),
        (json.dumps({**GOOD, "created_at": "yesterday"}), "bad created_at"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(impl: Implementation, raw: str, reason: str) -> None:
    rejected = impl.parse.parse_tweet(raw)
    assert isinstance(rejected, Rejected), f"{raw!r} must go to the dead-letter topic, not be accepted"
    assert rejected.reason.startswith(reason)
    assert rejected.raw == raw, "the dead letter keeps the original payload"


def test_every_generated_defect_is_rejected(impl: Implementation) -> None:
    for tweet in generator.tweets(300):
        result = impl.parse.parse_tweet(json.dumps(tweet))
        text = tweet.get("text")
        valid = (
            "id" in tweet and isinstance(text, str) and bool(text.strip()) and tweet["created_at"][-1] == "Z"
        )
        assert isinstance(result, Tweet) == valid, tweet


# Hand-labelled: (text, what a person says, TextBlob right?, VADER right?). The README's table.
LABELLED = [
    ("I love this new Flink release, it is great!", "positive", True, True),
    ("This upgrade is terrible and broken", "negative", True, True),
    ("Migrating the pipeline to Kafka on Thursday", "neutral", True, True),
    ("not bad at all", "positive", True, True),
    ("Great, another outage. Just what I needed", "negative", False, False),  # sarcasm fools both
    ("😍😍😍 #flink", "positive", False, True),  # emoji: VADER only
    ("this is sooo good!!! :)", "positive", True, True),
    ("Me encanta Flink, es genial", "positive", False, True),  # Spanish: TextBlob 0; VADER by luck ("genial")
    ("meh", "negative", False, True),  # slang: VADER knows it
]


@pytest.mark.parametrize(("text", "human", "textblob_right", "vader_right"), LABELLED)
def test_scores_against_hand_labelled_tweets(
    impl: Implementation, text: str, human: str, textblob_right: bool, vader_right: bool
) -> None:
    s = impl.scoring.score(text)
    assert -1 <= s.polarity <= 1
    assert -1 <= s.vader <= 1
    assert s.label == impl.scoring.label(s.polarity), "the label comes from TextBlob's polarity"
    assert (s.label == human) == textblob_right, f"TextBlob on {text!r}: {s}"
    vader_label = "positive" if s.vader >= 0.05 else "negative" if s.vader <= -0.05 else "neutral"
    assert (vader_label == human) == vader_right, f"VADER on {text!r}: {s}"


@pytest.mark.parametrize(
    ("polarity", "expected"),
    [
        (0.0, "neutral"),
        (0.05, "neutral"),
        (-0.05, "neutral"),
        (0.1, "positive"),
        (-0.1, "negative"),
        (1.0, "positive"),
        (-0.8, "negative"),
    ],
)
def test_label_has_a_neutral_band(impl: Implementation, polarity: float, expected: str) -> None:
    assert impl.scoring.label(polarity) == expected, "small polarities are neutral, not positive or negative"


def test_window_aggregate(impl: Implementation) -> None:
    agg = impl.aggregate
    a = agg.add(agg.add(agg.create(), "1", 0.5, "positive"), "2", -0.5, "negative")
    b = agg.add(agg.create(), "3", -0.3, "negative")
    result = agg.result(agg.merge(a, b))
    assert result["count"] == 3
    assert result["mean_polarity"] == pytest.approx(-0.1)
    assert result["share_negative"] == pytest.approx(2 / 3), "share negative = negatives / count"
    assert result["ids"] == ["1", "2", "3"]
    assert agg.result(agg.create())["count"] == 0


def test_job_configuration_checkpoints_exactly_once_and_restarts(impl: Implementation) -> None:
    options = impl.pipeline.job_configuration(JobSettings(checkpoint_ms=750))
    assert options.get("execution.checkpointing.interval") == "750 ms", (
        "checkpointing is off: transactional sinks commit on checkpoints, restarts resume from them"
    )
    assert options.get("execution.checkpointing.mode") == "EXACTLY_ONCE"
    assert options.get("restart-strategy.type") in ("fixed-delay", "exponential-delay")
