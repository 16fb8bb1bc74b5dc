"""The broker dies mid-stream: the transformer exits 1 with a one-line reason, or recovers when the
broker is back; it never waits in silence.

The test owns its broker (its own `BOOTCAMP_STATE_DIR`, so the session's broker is untouched), kills
it with SIGKILL, and restarts it on the same port with the same storage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config
from bootcamp.services.base import free_port
from bootcamp.services.kafka import KafkaService
from bootcamp.testing.processes import Spawned, wait_until
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.observer import read_topic
from exercises.ex01_kafka_transform.offsets import group_lag
from exercises.ex01_kafka_transform.runtime import EXIT_FAILED
from exercises.ex01_kafka_transform.tests.conftest import StartTransformer, finished, settings_env
from exercises.ex01_kafka_transform.tests.test_transformer import keyed_values

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class SamePortKafka(KafkaService):
    """The broker on a fixed port: a restarted broker must be where its clients look for it. The JVM
    binds with SO_REUSEADDR, so sockets of the killed broker in TIME_WAIT do not stop it."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port

    def _choose_port(self) -> int:
        """Never the default port, even when it is free: the session's broker belongs there, and a
        second worker starts it whenever it is first needed. This broker must come back on its own
        port after the kill (`restart`); on 9092 the session's broker took the port while this one
        was down, and the restart moved elsewhere (seen under `-n 2`). Before `Service._wait_ready`
        checked that a health check's answer is its own server's, the same race also handed this
        test the session's broker as its own."""
        return self.port if self.port is not None else free_port()

    def restart(self) -> None:
        """Start it again (the environment names it as an external broker meanwhile)."""
        endpoint = os.environ.pop("KAFKA_BOOTSTRAP_SERVERS")
        try:
            assert self.start() == endpoint
        finally:
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = endpoint


@pytest.fixture
def own_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamePortKafka]:
    """A broker of this test's own, in a state directory of its own; clients are pointed at it."""
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("BOOTCAMP_KAFKA_PORT", raising=False)
    broker = SamePortKafka()
    endpoint = broker.start()
    broker.port = int(endpoint.rsplit(":", 1)[1])
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", endpoint)
    try:
        yield broker
    finally:
        monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS")
        broker.stop()


def _kill(broker: KafkaService) -> None:
    pid = json.loads(broker.state_path.read_text())["pid"]
    os.killpg(pid, signal.SIGKILL)
    wait_until(lambda: broker.running_endpoint() is None, 30, "the broker to be gone")


def test_broker_killed_mid_stream_transformer_exits_with_a_reason_or_recovers(
        own_broker: SamePortKafka, tmp_path: Path, start_transformer: StartTransformer) -> None:
    run = os.urandom(4).hex()
    settings = TransformerSettings(
        input_topic=f"ex01-{run}.in", output_topic=f"ex01-{run}.out", dead_letter_topic=f"ex01-{run}.dlq",
        group_id=f"ex01-{run}", partitions=3, batch_size=50, stats_interval_s=1, flush_timeout_s=5,
        broker_timeout_s=5, create_topics=False)
    ensure_topics(settings.topics(), partitions=settings.partitions)
    pairs = keyed_values(6000)
    producer = Producer(client_config({"enable.idempotence": True, "linger.ms": 2}))
    stop_sending = threading.Event()

    def send() -> None:  # 300 records/s; records sent while the broker is down wait in the client
        started = time.monotonic()
        for n, (key, value) in enumerate(pairs):
            if stop_sending.is_set():
                return
            time.sleep(max(0.0, started + n / 300 - time.monotonic()))
            producer.produce(settings.input_topic, key=key, value=value)
            producer.poll(0)

    sender = threading.Thread(target=send, daemon=True)
    first = start_transformer(settings)
    wait_until(lambda: "partitions assigned" in first.log(), 90, "the transformer to join", first)
    sender.start()
    wait_until(lambda: len(read_topic(settings.output_topic, timeout_s=10).records) >= 300, 90,
               "the first outputs", first)
    assert sender.is_alive(), "input must still be flowing when the broker dies"
    killed_at = time.monotonic()
    _kill(own_broker)

    # Bounded by EX01_BROKER_TIMEOUT_S=5 (or the 5 s flush timeout of a batch in flight) plus slack.
    try:
        code = finished(first, 60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the transformer hung after the broker died:\n{first.log()[-3000:]}")
    took = time.monotonic() - killed_at
    reasons = [line for line in first.log().splitlines() if "ERROR ex01" in line]
    print(f"\nbroker killed: the transformer exited {code} after {took:.1f}s: {reasons}")
    assert code == EXIT_FAILED, first.log()[-2000:]
    assert len(reasons) == 1, f"one line says why: {reasons}"
    assert "lost the brokers" in reasons[0] or "not delivered" in reasons[0], reasons[0]

    # A transformer started while the broker is still down, with a longer bound, recovers.
    patient = start_transformer(settings.model_copy(update={"broker_timeout_s": 300.0,
                                                            "flush_timeout_s": 120.0}))
    own_broker.restart()
    sender.join(120)
    assert producer.flush(120) == 0, "the input producer could not deliver after the restart"
    total = len(pairs)
    wait_until(lambda: sum(r.lag for r in group_lag(settings.group_id, settings.input_topic,
                                                    settings.partitions)) == 0
               and sum(r.end for r in group_lag(settings.group_id, settings.input_topic,
                                                settings.partitions)) >= total,
               180, "the restarted transformer to commit every input", patient)
    out = {r.value for r in read_topic(settings.output_topic, timeout_s=60).records}
    lost = [v for _, v in pairs if v.upper() not in out]
    assert lost == [], f"{len(lost)} records lost across the broker's death, e.g. {lost[:3]}"
    patient.check_alive()
    stop_sending.set()


def test_a_broker_that_stops_answering_during_a_synchronous_commit_is_noticed_within_the_bound(
        own_broker: SamePortKafka, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime's watchdog, on the path where librdkafka reports nothing: the broker stops
    answering (SIGSTOP: a hung JVM or a network partition; its connections stay open) while the loop
    is blocked in a synchronous commit. No connection fails, so the error callback never says that
    every broker is down, and it would be served only inside poll, consume or flush anyway; the commit
    waits for `socket.timeout.ms`, 60 s. The watchdog must find out by asking the cluster and exit 1
    with its reason within its bound (broker_timeout_s + flush_timeout_s + 5 = 15 s here).
    Deterministic: the batch waits for the test to freeze the broker before it commits."""
    run = os.urandom(4).hex()
    settings = TransformerSettings(
        input_topic=f"ex01-{run}.in", output_topic=f"ex01-{run}.out", dead_letter_topic=f"ex01-{run}.dlq",
        group_id=f"ex01-{run}", partitions=1, batch_size=10, flush_timeout_s=5, broker_timeout_s=5,
        create_topics=False)
    ensure_topics(settings.topics(), partitions=settings.partitions)
    producer = Producer(client_config({}))
    producer.produce(settings.input_topic, key=b"k", value=b"v")
    assert producer.flush(30) == 0
    go = tmp_path / "go"
    # The child runs the provided runtime and no implementation (so this test is not graded): it
    # gets no BOOTCAMP_IMPL, and the grader's contract sees a child that runs nobody's code.
    monkeypatch.delenv("BOOTCAMP_IMPL", raising=False)
    stalled = Spawned("exercises.ex01_kafka_transform.tests.stalled_commit",
                      {**settings_env(settings), "STALLED_GO_FILE": str(go)}, tmp_path / "stalled.log")
    broker_group = json.loads(own_broker.state_path.read_text())["pid"]
    try:
        wait_until(lambda: "waiting for the go file" in stalled.log(), 90, "the first batch", stalled)
        os.killpg(broker_group, signal.SIGSTOP)
        go.touch()
        released_at = time.monotonic()
        try:
            code = stalled.wait(45)
        except subprocess.TimeoutExpired:
            pytest.fail(f"blocked in the commit with no broker answering, and nothing noticed:\n"
                        f"{stalled.log()[-2000:]}")
        took = time.monotonic() - released_at
        print(f"\nbroker frozen during a synchronous commit: exit {code} after {took:.1f}s")
        reasons = [line for line in stalled.log().splitlines() if "ERROR ex01" in line]
        assert code == EXIT_FAILED, stalled.log()[-2000:]
        assert len(reasons) == 1, f"one line says why: {reasons}"
        assert "lost the brokers, stuck in commit" in reasons[0], reasons[0]
        assert took < 40, f"noticed only after {took:.0f}s: the commit's own timeout, not the watchdog"
    finally:
        os.killpg(broker_group, signal.SIGCONT)
        stalled.kill()
