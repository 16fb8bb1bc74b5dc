"""Tweets from the Twitter API v2 (Tweepy) to the Kafka topic `tweets`, key = tweet id.

Tweepy builds every URL on `https://api.twitter.com`; it exposes its `requests` session, so
`redirect` mounts a transport adapter there that sends the same requests to another base URL (the
local stand-in, `twitter_api.py`). Unset `EX09_TWITTER_BASE_URL` and the same code talks to the
real API with a real bearer token.

Two ways in, as the API offers: recent search, paged with `next_token` (`search_to_kafka`), and the
filtered stream with rules (`stream_to_kafka`). Search retries 429 (waiting for `x-rate-limit-reset`,
capped) and 5xx (exponential back-off with jitter) and resumes from the same page token, so nothing is
skipped or fetched twice. Each tweet's raw JSON goes to Kafka unchanged: validation is the Flink job's
(its dead-letter topic keeps what fails). At-least-once: a page counts as done only once Kafka has
acknowledged every record of it.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import tweepy
from confluent_kafka import KafkaError, Message, Producer
from requests.adapters import HTTPAdapter

REAL_API = "https://api.twitter.com"


class Redirect(HTTPAdapter):
    """Sends requests meant for the real API to `base_url` instead (same path and query)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if request.url and request.url.startswith(REAL_API):
            request.url = self.base_url + request.url[len(REAL_API) :]
        return super().send(request, *args, **kwargs)


def redirect(session: requests.Session, base_url: str | None) -> None:
    if base_url:
        session.mount(REAL_API, Redirect(base_url))


@dataclass(frozen=True)
class Backoff:
    """Retry policy: exponential from `base_s`, capped at `cap_s`, `attempts` tries per request."""

    base_s: float = 1.0
    cap_s: float = 60.0
    attempts: int = 8

    def delay(self, attempt: int) -> float:
        return float(min(self.cap_s, self.base_s * 2**attempt) * (0.5 + random.random() / 2))


def client(bearer_token: str, base_url: str | None = None) -> tweepy.Client:
    """A Tweepy v2 client returning plain dicts (a defective tweet must not break the producer)."""
    made = tweepy.Client(bearer_token=bearer_token, return_type=dict, wait_on_rate_limit=False)
    redirect(made.session, base_url)
    return made


def _reset_wait(exc: tweepy.TooManyRequests, backoff: Backoff, attempt: int) -> float:
    reset = exc.response.headers.get("x-rate-limit-reset")
    if reset is None:
        return backoff.delay(attempt)
    return max(0.0, min(backoff.cap_s, float(reset) - time.time()))


class KafkaOut:
    """Produces raw tweets keyed by id and waits for Kafka's acknowledgements."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
        self.errors: list[KafkaError] = []
        self.sent = 0

    def _report(self, error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            self.errors.append(error)

    def send(self, tweet: dict[str, Any] | bytes) -> None:
        value = tweet if isinstance(tweet, bytes) else json.dumps(tweet).encode()
        key = None
        if isinstance(tweet, dict) and "id" in tweet:
            key = str(tweet["id"]).encode()
        self.producer.produce(self.topic, value, key=key, on_delivery=self._report)
        self.producer.poll(0)
        self.sent += 1

    def confirm(self) -> None:
        if self.producer.flush(30) != 0 or self.errors:
            raise RuntimeError(f"Kafka did not acknowledge every tweet: {self.errors[:1]}")


def search_to_kafka(
    api: tweepy.Client,
    out: KafkaOut,
    query: str,
    max_tweets: int,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Page through recent search into Kafka; returns counts of tweets, pages, 429s and 5xx retries."""
    token: str | None = None
    counts = {"tweets": 0, "pages": 0, "rate_limited": 0, "server_errors": 0}
    while counts["tweets"] < max_tweets:
        for attempt in range(backoff.attempts):
            try:
                page: dict[str, Any] = api.search_recent_tweets(
                    query,
                    max_results=100,
                    next_token=token,
                    tweet_fields=["created_at", "lang", "author_id", "entities", "referenced_tweets"],
                )
                break
            except tweepy.TooManyRequests as exc:
                counts["rate_limited"] += 1
                sleep(_reset_wait(exc, backoff, attempt))
            except tweepy.TwitterServerError:
                counts["server_errors"] += 1
                sleep(backoff.delay(attempt))
        else:
            raise RuntimeError(f"the Twitter API refused {backoff.attempts} times in a row")
        for tweet in page.get("data", [])[: max_tweets - counts["tweets"]]:
            out.send(tweet)
            counts["tweets"] += 1
        out.confirm()
        counts["pages"] += 1
        token = page.get("meta", {}).get("next_token")
        if not token:
            break
    return counts


class _ToKafka(tweepy.StreamingClient):
    def __init__(self, bearer_token: str, out: KafkaOut, limit: int, **kwargs: Any) -> None:
        super().__init__(bearer_token, **kwargs)
        self.out, self.limit = out, limit

    def on_data(self, raw_data: bytes) -> None:
        self.out.send(raw_data)  # the envelope {"data": ..., "matching_rules": ...}; the job unwraps it
        if self.out.sent >= self.limit:
            self.disconnect()


def stream_to_kafka(
    bearer_token: str, out: KafkaOut, rules: list[str], limit: int, base_url: str | None = None
) -> int:
    """Filtered stream into Kafka until `limit` tweets (Tweepy reconnects with its own back-off)."""
    stream = _ToKafka(bearer_token, out, limit, wait_on_rate_limit=True, max_retries=5)
    redirect(stream.session, base_url)
    existing = stream.get_rules().data or []
    if existing:
        stream.delete_rules([rule.id for rule in existing])
    stream.add_rules([tweepy.StreamRule(value) for value in rules])
    stream.filter(tweet_fields=["created_at", "lang", "author_id", "entities", "referenced_tweets"])
    out.confirm()
    return out.sent


def main() -> None:
    base_url = os.environ.get("EX09_TWITTER_BASE_URL") or None
    token = os.environ.get("TWITTER_BEARER_TOKEN", "local-stand-in-token")
    out = KafkaOut(
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        os.environ.get("EX09_TWEETS_TOPIC", "tweets"),
    )
    counts = search_to_kafka(
        client(token, base_url),
        out,
        os.environ.get("EX09_QUERY", "#flink OR #kafka"),
        int(os.environ.get("EX09_MAX_TWEETS", "500")),
    )
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
