"""Seeded generator of tweets in the Twitter API v2 JSON shape. The tweets are generated, not real.

Each tweet is the `data` object v2 returns with `tweet.fields=created_at,lang,author_id,entities,
referenced_tweets`: hashtags and mentions under `entities`, retweets marked by `referenced_tweets`.
A share of them is defective the way real feeds are (no text, empty text, a non-string text, a bad
`created_at`), and `junk_payloads` gives bytes that are not JSON at all, for the dead-letter path.
Event times advance about one second per tweet with up to two seconds of disorder, inside the job's
five-second out-of-orderness bound; `late_tweets` makes tweets far behind the newest time.
Standard library only (the Flink environment imports it too).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 1, 1, tzinfo=UTC)
HASHTAGS = ["flink", "kafka", "python", "streaming", "coffee", "mondays"]
MENTIONS = ["@apacheflink", "@confluentinc", "@dataeng", "@alice", "@bob"]
POSITIVE = [
    "I love {t}, it is great!",
    "What a wonderful day with {t} 😍",
    "{t} is amazing, best release ever",
    "So happy with how {t} turned out :)",
    "Excellent talk about {t}, really nice",
]
NEGATIVE = [
    "I hate {t}, this is terrible",
    "{t} is broken again, awful 😡",
    "Worst outage ever, {t} is bad",
    "So sad and disappointed with {t}",
    "This {t} upgrade is horrible and ugly",
]
NEUTRAL = [
    "Reading about {t} today",
    "{t} meetup on Thursday at 6",
    "Migrating the pipeline to {t}",
    "Anyone using {t} in production?",
    "New blog post on {t}",
]
FOREIGN = [
    ("es", "Me encanta {t}, es genial"),
    ("fr", "Je déteste {t}, c'est nul"),
    ("de", "Heute lese ich über {t}"),
]


def iso(moment: datetime) -> str:
    """v2's `created_at` form: `2026-01-01T00:00:05.000Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _text(rng: random.Random) -> tuple[str, list[str], str]:
    tags = rng.sample(HASHTAGS, rng.choice([1, 1, 2]))
    topic = tags[0]
    roll = rng.random()
    lang = "en"
    if roll < 0.1:
        lang, template = rng.choice(FOREIGN)
    else:
        template = rng.choice(rng.choice([POSITIVE, NEGATIVE, NEUTRAL]))
    text = template.format(t=topic)
    if rng.random() < 0.3:
        text = f"{rng.choice(MENTIONS)} {text}"
    text += " " + " ".join(f"#{tag}" for tag in tags)
    return text, tags, lang


def tweet(rng: random.Random, tweet_id: int, moment: datetime) -> dict[str, Any]:
    """One well-formed tweet as v2's `data` object."""
    text, tags, lang = _text(rng)
    retweet = rng.random() < 0.15
    if retweet:
        text = "RT @alice: " + text
    hashtags = [
        {"start": text.index("#" + tag), "end": text.index("#" + tag) + len(tag) + 1, "tag": tag}
        for tag in tags
    ]
    mentions = [
        {"start": i, "end": i + len(w), "username": w.lstrip("@:").rstrip(":")}
        for i, w in ((text.index(w), w) for w in text.split() if w.startswith("@"))
    ]
    data: dict[str, Any] = {
        "id": str(tweet_id),
        "text": text,
        "created_at": iso(moment),
        "lang": lang,
        "author_id": str(1000 + rng.randrange(50)),
        "entities": {"hashtags": hashtags, **({"mentions": mentions} if mentions else {})},
        "edit_history_tweet_ids": [str(tweet_id)],
    }
    if retweet:
        data["referenced_tweets"] = [{"type": "retweeted", "id": str(tweet_id - 1)}]
    return data


def _defect(rng: random.Random, data: dict[str, Any]) -> dict[str, Any]:
    kind = rng.choice(["no-text", "empty-text", "number-text", "bad-time", "no-id"])
    broken = dict(data)
    if kind == "no-text":
        del broken["text"]
    elif kind == "empty-text":
        broken["text"] = "   "
    elif kind == "number-text":
        broken["text"] = 42
    elif kind == "bad-time":
        broken["created_at"] = "yesterday"
    else:
        del broken["id"]
    return broken


def tweets(
    count: int,
    seed: int = 9,
    start: datetime = START,
    first_id: int = 1_600_000_000_000_000_000,
    defect_rate: float = 0.08,
) -> list[dict[str, Any]]:
    """`count` tweets, about one second apart, with bounded disorder and a share of defects."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(count):
        moment = start + timedelta(seconds=i, milliseconds=-rng.randrange(0, 2000))
        data = tweet(rng, first_id + i, moment)
        out.append(_defect(rng, data) if rng.random() < defect_rate else data)
    return out


def late_tweets(
    count: int, behind: datetime, seed: int = 99, first_id: int = 1_700_000_000_000_000_000
) -> list[dict[str, Any]]:
    """Well-formed tweets stamped at `behind` (plus up to a second): far older than the watermark."""
    rng = random.Random(seed)
    return [
        tweet(rng, first_id + i, behind + timedelta(milliseconds=rng.randrange(1000))) for i in range(count)
    ]


def junk_payloads() -> list[bytes]:
    """Payloads that are not a tweet at all: invalid JSON, a JSON array, binary, empty."""
    return [b"{not json", b"[1, 2, 3]", b"\x00\xff\xfe binary", b"", b'"just a string"']


def parse_ms(created_at: str) -> int:
    """`created_at` as epoch milliseconds (for the tests' offline computation)."""
    return int(datetime.fromisoformat(created_at.replace("Z", "+00:00")).timestamp() * 1000)
