"""`bootcamp bench ex09`: tweets/s through the Flink job beside a plain Python loop on the same topic.

Both read the same backlog of generated tweets from one Kafka topic. The loop parses and scores in
this process (confluent-kafka, no framework). The Flink job (on a MiniCluster in the job's own
process, parallelism 1 and, in the full run, 2; in the full run also on the standalone cluster, the
`flink` service, submitted with `flink run`, parallelism 1 and 2) scores them in Python UDF workers
across a process boundary, and writes through transactional sinks. Its rate is the measured tweets
over the time from producing the first of them (once the job is warm: its start-up is shown apart)
to the last one visible to a `read_committed` reader. The latency is the same path per tweet, produce
to `read_committed` visibility, so it is bounded below by the checkpoint interval (exactly-once's
price).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer

from bootcamp import bench as harness
from bootcamp.kafka.admin import ensure_topics
from bootcamp.paths import state_dir
from exercises.ex09_flink_sentiment import generator
from exercises.ex09_flink_sentiment.config import JobSettings
from exercises.ex09_flink_sentiment.flinkjob import cancel_jobs, running_jobs, start_job, stop_job, submit_job
from exercises.ex09_flink_sentiment.records import Rejected
from exercises.ex09_flink_sentiment.solution import parse, scoring


def _settings(run: str, parallelism: int, bootstrap: str) -> JobSettings:
    """One bench point's names; every point reads the run's one `tweets` topic."""
    return JobSettings.named(bootstrap, f"ex09-bench-{run}-p{parallelism}",
                             tweets_topic=f"ex09-bench-{run}.tweets", parallelism=parallelism,
                             checkpoint_ms=500)


def python_loop(settings: JobSettings, count: int) -> float:
    """Tweets/s of parse + score in one Python process reading the same topic."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"loop-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([settings.tweets_topic])
    seen, started = 0, 0.0
    while seen < count:
        for msg in consumer.consume(500, 1.0):
            if msg.error() is not None:
                continue
            started = started or time.perf_counter()
            tweet = parse.parse_tweet((msg.value() or b"").decode("utf-8", "replace"))
            if not isinstance(tweet, Rejected):
                scoring.score(tweet.text)
            seen += 1
    elapsed = time.perf_counter() - started
    consumer.close()
    return seen / elapsed


def flink_job(
    settings: JobSettings, warmup: list[bytes], measured: list[dict[str, object]], log: Path,
    rest_url: str | None = None,
) -> tuple[float, float, list[float]]:
    """(tweets/s, start-up seconds, end-to-end latencies in ms) of the running job: on a MiniCluster
    in its own process, or, with `rest_url`, submitted to that standalone cluster with `flink run`.

    The job starts on a topic that holds only `warmup` tweets; once their first scored record is
    visible the job is warm, and the measured tweets are produced at full speed. Each scored record
    carries its input record's timestamp (the produce time), so a `read_committed` reader's arrival
    time minus it is the end-to-end latency, commit wait included.
    """
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers, "linger.ms": 5})
    for payload in warmup:
        producer.produce(settings.tweets_topic, payload)
    producer.flush(30)
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"r-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([settings.scored_topic])
    started = time.monotonic()
    before = running_jobs(rest_url) if rest_url else set()
    if rest_url:
        process = submit_job(settings, "solution", log, rest_url)
    else:
        process = start_job(settings, "solution", log)
    wanted = {str(t["id"]) for t in measured if not isinstance(parse.parse_tweet(json.dumps(t)), Rejected)}
    latencies: list[float] = []
    startup = 0.0
    first_sent = last_seen = 0.0
    try:
        while len(latencies) < len(wanted):
            if process.poll() is not None:
                raise RuntimeError(f"the Flink job ended: {log.read_text()[-1500:]}")
            for msg in consumer.consume(500, 0.2):
                if msg.error() is not None:
                    continue
                now = time.time()
                if not startup:
                    startup = time.monotonic() - started
                    first_sent = time.time()
                    for tweet in measured:
                        producer.produce(settings.tweets_topic, json.dumps(tweet).encode())
                    producer.flush(30)
                if json.loads(msg.value() or b"{}")["id"] in wanted:
                    latencies.append(now * 1000 - msg.timestamp()[1])
                    last_seen = now
    finally:
        if rest_url:  # first: an attached `flink run` returns once its job has ended
            cancel_jobs(rest_url, running_jobs(rest_url) - before)
        stop_job(process)
        consumer.close()
    return len(wanted) / max(last_seen - first_sent, 1e-3), startup, latencies


def bench(quick: bool) -> None:
    from bootcamp.services import get_service

    kafka = get_service("kafka")
    bootstrap = kafka.external_endpoint() or kafka.running_endpoint() or kafka.start()
    count = 400 if quick else 5000
    run = uuid.uuid4().hex[:8]
    report = harness.BenchReport(
        "ex09",
        f"Exercise 9: {count} generated tweets, scored (TextBlob + VADER)",
        ["engine", "parallelism", "tweets_per_s", "startup_s", "p50_ms", "p99_ms"],
    )
    # (engine, parallelism): the MiniCluster inside the job's process; in the full run also the
    # standalone cluster (the `flink` service: JobManager + TaskManager, the job sent with `flink run`).
    points = [("minicluster", 1)] if quick else [("minicluster", 1), ("minicluster", 2),
                                                 ("standalone", 1), ("standalone", 2)]
    report.progress(1 + len(points))
    metrics: dict[str, object] = {"tweets": count}
    loop_rate = 0.0
    for engine, parallelism in points:
        name = f"{engine}-p{parallelism}"
        settings = _settings(f"{run}-{engine}-p{parallelism}", parallelism, bootstrap)
        ensure_topics(settings.topics(), partitions=2)
        warmup = [json.dumps(t).encode() for t in generator.tweets(20, seed=1, first_id=1)]
        measured = generator.tweets(count)
        rest = get_service("flink").start() if engine == "standalone" else None
        with report.step(f"Flink {engine}, parallelism {parallelism}"):
            rate, startup, latencies = flink_job(
                settings, warmup, measured, state_dir() / "ex09" / f"bench-{name}.log", rest
            )
        if not loop_rate:
            with report.step("plain Python loop on the same topic"):
                loop_rate = python_loop(settings, len(warmup) + count)
            report.add("python loop", 1, loop_rate, None, None, None)
            metrics["python_loop_tweets_per_s"] = harness.rounded(loop_rate, 1)
        p50, p99 = harness.percentile(latencies, 50), harness.percentile(latencies, 99)
        report.add(f"flink {engine}", parallelism, rate, startup, p50, p99)
        key = "flink" if engine == "minicluster" else "flink_standalone"
        metrics |= {
            f"{key}_p{parallelism}_tweets_per_s": harness.rounded(rate, 1),
            f"{key}_p{parallelism}_startup_s": harness.rounded(startup, 1),
            f"{key}_p{parallelism}_latency_p50_ms": harness.rounded(p50, 0),
            f"{key}_p{parallelism}_latency_p99_ms": harness.rounded(p99, 0),
            f"{key}_p{parallelism}_vs_loop": harness.rounded(harness.ratio(rate, loop_rate), 3),
        }
    report.note(
        "Flink: warmed up first (start-up shown apart); rate = measured tweets / (first produced -> "
        "last visible to read_committed); latency = produce -> read_committed visibility."
    )
    report.chart("bar", x=["engine", "parallelism"], y="tweets_per_s", title="tweets/s", ylabel="tweets/s")
    report.finish(metrics)
