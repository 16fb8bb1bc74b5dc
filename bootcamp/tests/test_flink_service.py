"""The `flink` platform service: a standalone cluster that Exercise 9's job runs on, through the loss of
its TaskManager.

The exercise's own tests run the job on a MiniCluster (seconds cheaper); this is the cluster that
`bootcamp run ex09` and the full bench use. The job is submitted with `flink run`, the TaskManager's
JVM is SIGKILLed while the job runs (a node lost, as a cluster loses one), tweets keep arriving, and a
new TaskManager is started: the JobManager must notice the loss, restart the job from its last
completed checkpoint on the new TaskManager's slots, and `read_committed` readers must then see every
valid tweet scored exactly once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from bootcamp.kafka.admin import ensure_topics
from bootcamp.services.base import free_port
from bootcamp.services.flink import FlinkService, flink_home
from exercises.ex09_flink_sentiment import generator
from exercises.ex09_flink_sentiment.config import JobSettings
from exercises.ex09_flink_sentiment.flinkjob import cancel_jobs, running_jobs, stop_job, submit_job

pytestmark = [pytest.mark.slow, pytest.mark.integration]

TASK_MANAGER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"
DEADLINE_S = 240.0  # under the suite's 300 s per-test timeout: our message, not the harness's


def _valid(tweet: dict[str, Any]) -> bool:
    """A tweet the job scores (the generator also makes defective ones, for the dead-letter tests)."""
    text = tweet.get("text")
    return ("id" in tweet and isinstance(text, str) and bool(text.strip())
            and str(tweet.get("created_at", "")).endswith("Z"))


def task_managers(conf_dir: Path) -> list[int]:
    """Pids of the TaskManager JVMs that run with this cluster's configuration directory (ours only)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if TASK_MANAGER in words and str(conf_dir) in words:
            found.append(int(entry.name))
    return found


@pytest.fixture
def cluster(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FlinkService, str]]:
    """A standalone cluster of this test's own (state directory and REST port), stopped at the end."""
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("FLINK_REST_URL", raising=False)
    monkeypatch.setenv("BOOTCAMP_FLINK_PORT", str(free_port()))
    service = FlinkService()
    rest = service.start()
    try:
        yield service, rest
    finally:
        service.stop(30)


class Scored:
    """A read_committed reader of the scored topic."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        })
        self.consumer.subscribe([topic])
        self.ids: list[str] = []

    def poll(self) -> None:
        for msg in self.consumer.consume(500, 0.5):
            if msg.error() is None and msg.value() is not None:
                self.ids.append(json.loads(msg.value() or b"{}")["id"])


def _wait(condition: Any, what: str, deadline: float, job: subprocess.Popen[bytes], log: Path) -> None:
    while not condition():
        if job.poll() is not None:
            raise AssertionError(f"`flink run` exited {job.returncode} waiting for {what}:\n"
                                 + log.read_text(errors="replace")[-3000:])
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text(errors="replace")[-2000:])


def test_the_job_survives_losing_its_task_manager(
    cluster: tuple[FlinkService, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    service, rest = cluster
    deadline = time.monotonic() + DEADLINE_S
    run = uuid.uuid4().hex[:8]
    settings = JobSettings.named(kafka_bootstrap, f"flink-svc-{run}", checkpoint_ms=500,
                                 checkpoint_dir=str(tmp_path / "checkpoints"))
    ensure_topics(settings.topics(), partitions=1)
    tweets = [t for t in generator.tweets(300) if _valid(t)]
    valid = {t["id"] for t in tweets}
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})

    def send(batch: list[dict[str, Any]]) -> None:
        for tweet in batch:
            producer.produce(settings.tweets_topic, json.dumps(tweet).encode())
        assert producer.flush(30) == 0

    send(tweets[: len(tweets) // 2])
    log = tmp_path / "flink-run.log"
    job = submit_job(settings, "solution", log, rest)
    reader = Scored(kafka_bootstrap, settings.scored_topic)
    home = flink_home()
    assert home is not None
    conf_dir = service.home / "conf"
    replacement: subprocess.Popen[bytes] | None = None
    try:
        def some_committed() -> bool:
            reader.poll()
            return bool(reader.ids)

        _wait(some_committed, "the first committed scored tweet", deadline, job, log)
        [victim] = task_managers(conf_dir)
        os.kill(victim, signal.SIGKILL)
        send(tweets[len(tweets) // 2 :])  # the rest arrives while no TaskManager runs
        with (tmp_path / "task-manager-2.log").open("wb") as tm_log:
            replacement = subprocess.Popen(
                [str(home / "bin" / "taskmanager.sh"), "start-foreground"],
                env={**os.environ, **service.extra_env()},
                stdout=tm_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def all_scored() -> bool:
            reader.poll()
            return set(reader.ids) >= valid

        _wait(all_scored, "every valid tweet, after the TaskManager was killed", deadline, job, log)
        time.sleep(2)  # two more checkpoints: anything written twice would be committed by now
        reader.poll()
        counts = Counter(reader.ids)
        assert victim not in task_managers(conf_dir)
        job_manager_log = "".join(p.read_text(errors="replace")
                                  for p in (service.home / "log").glob("*standalonesession*.log"))
        assert "RUNNING to RESTARTING" in job_manager_log, "the JobManager never noticed the loss"
        assert "from Checkpoint" in job_manager_log, "the job restarted without its checkpoint"
        assert {i: n for i, n in counts.items() if n > 1} == {}, "scored twice after the restart"
        assert set(counts) == valid, "scored tweets lost or invented"
    finally:
        reader.consumer.close()
        with contextlib.suppress(Exception):
            cancel_jobs(rest, running_jobs(rest))
        stop_job(job)
        if replacement is not None and replacement.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(replacement.pid, signal.SIGKILL)
            replacement.wait(30)
