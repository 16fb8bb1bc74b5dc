"""The producer as an AWS Lambda function, run every minute by an EventBridge schedule.

Recent search for `EX09_QUERY` into the Kafka topic (MSK, or any cluster at KAFKA_BOOTSTRAP_SERVERS),
with the producer's retries on 429 and 5xx. The page token of the last run is not kept: each run
fetches the last minutes again and the job's consumers see repeats, so key = tweet id lets a
compacted topic or the reader drop them (recent search's `since_id` would be the next step).
"""

from __future__ import annotations

import os
from typing import Any

from exercises.ex09_flink_sentiment import producer


def handler(event: dict[str, Any], context: object) -> dict[str, int]:
    out = producer.KafkaOut(
        os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ.get("EX09_TWEETS_TOPIC", "tweets")
    )
    api = producer.client(os.environ["TWITTER_BEARER_TOKEN"], os.environ.get("EX09_TWITTER_BASE_URL") or None)
    return producer.search_to_kafka(
        api,
        out,
        os.environ.get("EX09_QUERY", "#flink OR #kafka -is:retweet"),
        int(os.environ.get("EX09_MAX_TWEETS", "500")),
        producer.Backoff(cap_s=float(os.environ.get("EX09_BACKOFF_CAP_S", "30"))),
    )
