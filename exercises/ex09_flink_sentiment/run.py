"""`bootcamp run ex09`: generated tweets -> Kafka -> the Flink job (bounded) -> results.

`--quick` (as `make run` does) runs the job on the MiniCluster in its own process; a full run starts
the standalone cluster (`bootcamp up flink`: JobManager + TaskManager) and submits with `flink run`.

Tweets come from the local Twitter API v2 stand-in (generated tweets), taken from its filtered
stream (one rule per hashtag) with the Tweepy producer into `tweets`; a few non-JSON payloads, which
no API response can carry, are produced directly to show the dead-letter path. The job reads the
backlog to its end offsets, fires every window, commits and stops; the run then reads what
`read_committed` readers see.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict

from confluent_kafka import Consumer, Producer

from bootcamp.exercises import RunResult
from bootcamp.kafka.admin import ensure_topics
from bootcamp.paths import state_dir
from exercises.ex09_flink_sentiment import generator
from exercises.ex09_flink_sentiment.config import JobSettings
from exercises.ex09_flink_sentiment.flinkjob import start_job, stop_job, submit_job


def _fetch_from_the_api(count: int, bootstrap: str, topic: str) -> dict[str, int]:
    """Serve `count` generated tweets on the stand-in and take them from its filtered stream with Tweepy.

    The stream, not recent search: search answers newest first, so a backfill by search reaches Kafka
    in falling event-time order, and the watermark then makes nearly every tweet late.
    """
    from exercises.ex09_flink_sentiment import producer
    from exercises.ex09_flink_sentiment.twitter_api import State, matches, serving

    state = State(generator.tweets(count))
    with serving(state) as base_url:
        rules = [f"#{tag}" for tag in generator.HASHTAGS]
        expected = sum(1 for t in state.tweets if any(matches(t, rule) for rule in rules))
        out = producer.KafkaOut(bootstrap, topic)
        sent = producer.stream_to_kafka("local-stand-in-token", out, rules, expected, base_url)
        return {"tweets": sent}


def run(quick: bool) -> RunResult:
    from bootcamp.services import get_service

    kafka = get_service("kafka")
    bootstrap = kafka.external_endpoint() or kafka.running_endpoint() or kafka.start()
    tag = uuid.uuid4().hex[:6]
    home = state_dir() / "ex09" / f"run-{tag}"
    settings = JobSettings.named(
        bootstrap,
        f"ex09-run-{tag}",
        bounded=True,
        checkpoint_dir=str(home / "checkpoints"),
        aggregates_dir=str(home / "aggregates"),
    )
    ensure_topics(settings.topics(), partitions=1)
    fetched = _fetch_from_the_api(300 if quick else 3000, bootstrap, settings.tweets_topic)
    producer = Producer({"bootstrap.servers": bootstrap})
    for junk in generator.junk_payloads():
        producer.produce(settings.tweets_topic, junk)
    producer.flush(30)
    started = time.monotonic()
    if quick:  # `make run`: the MiniCluster inside the job's own process
        where = "the MiniCluster"
        process = start_job(settings, "solution", home / "job.log")
    else:  # the standalone cluster (the `flink` platform service), the job submitted with `flink run`
        rest = get_service("flink").start()
        where = f"the standalone cluster at {rest}"
        process = submit_job(settings, "solution", home / "job.log", rest)
    code = process.wait(600)
    stop_job(process)
    if code != 0:
        return RunResult(False, f"the Flink job exited {code}; see {home / 'job.log'}")
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"run-{tag}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([settings.scored_topic, settings.aggregates_topic, settings.dead_letter_topic])
    counts: dict[str, int] = defaultdict(int)
    polarity: dict[str, list[float]] = defaultdict(list)
    idle = 0
    while idle < 3:
        batch = consumer.consume(1000, 1.0)
        idle = idle + 1 if not batch else 0
        for msg in batch:
            if msg.error() is not None or msg.value() is None:
                continue
            counts[str(msg.topic())] += 1
            if msg.topic() == settings.aggregates_topic:
                record = json.loads(msg.value() or b"{}")
                polarity[record["hashtag"]] += [record["mean_polarity"]] * record["count"]
    consumer.close()
    top = sorted(((sum(v) / len(v), k) for k, v in polarity.items()), reverse=True)
    shown = ", ".join(f"#{k} {m:+.2f}" for m, k in top[:3])
    scored, dead = counts[settings.scored_topic], counts[settings.dead_letter_topic]
    ok = scored > 0 and dead > 0 and counts[settings.aggregates_topic] > 0
    return RunResult(
        ok,
        f"{scored} tweets scored, {dead} dead letters, {counts[settings.aggregates_topic]} "
        f"window aggregates on {where} in {time.monotonic() - started:.0f} s; top hashtags: {shown}",
        {
            "fetched": str(fetched["tweets"]),
            "scored": str(scored),
            "dead_letters": str(dead),
            "top": shown,
        },
    )
