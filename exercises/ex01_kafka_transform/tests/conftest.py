"""Fixtures for Exercise 1: a real broker, fresh topics per test, and ways to feed and read them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from confluent_kafka import KafkaError, Message, Producer

from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import Headers
from bootcamp.testing.plugin import Implementation
from bootcamp.testing.processes import Spawned
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.observer import read_topic


@pytest.fixture
def settings(kafka_bootstrap: str) -> TransformerSettings:
    """Topics and a group of this test's own (the broker keeps everything until it restarts)."""
    run = uuid.uuid4().hex[:8]
    created = TransformerSettings(
        input_topic=f"ex01-{run}.in", output_topic=f"ex01-{run}.out",
        dead_letter_topic=f"ex01-{run}.dlq", group_id=f"ex01-{run}", partitions=3,
        batch_size=100, max_value_bytes=1024, stats_interval_s=1,
    )
    ensure_topics(created.topics(), partitions=created.partitions)
    return created


def settings_env(settings: TransformerSettings) -> dict[str, str]:
    """The same settings as EX01_* environment variables, for a transformer in a subprocess."""
    return {f"EX01_{name.upper()}": str(value) for name, value in settings.model_dump().items()
            if value is not None}


class Feeder:
    """Produces records and remembers where each landed, from its delivery report.

    A delivery report does not always carry the offset. When the idempotent producer retries a batch
    that the broker had already written (its first answer was lost to a timeout or a dropped
    connection), the broker answers DUPLICATE_SEQUENCE_NUMBER and librdkafka reports the record as
    delivered, with its partition but without an offset. Under the suite's load that happens; `landed`
    then reads the offset back from the topic.
    """

    def __init__(self) -> None:
        self.producer = Producer(client_config({"linger.ms": 2, "enable.idempotence": True,
                                                "partitioner": "murmur2_random"}))
        self.positions: dict[bytes | None, list[tuple[int, int | None]]] = {}
        self.errors: list[KafkaError] = []

    def _report(self, error: KafkaError | None, msg: Message) -> None:
        if error is not None:
            self.errors.append(error)
            return
        partition = msg.partition()
        if partition is None:
            self.errors.append(KafkaError(KafkaError._UNKNOWN_PARTITION, "delivered without a partition"))
            return
        self.positions.setdefault(msg.value(), []).append((partition, msg.offset()))

    def landed(self, topic: str, value: bytes | None) -> tuple[int, int]:
        """Partition and offset of the first record sent with `value`, from its delivery report or,
        when the report had no offset, from reading `topic` back."""
        partition, offset = self.positions[value][0]
        if offset is not None:
            return partition, offset
        found = sorted(r.offset for r in read_topic(topic).records
                       if r.partition == partition and r.value == value)
        assert found, f"{value!r} was reported delivered to partition {partition} but is not there"
        return partition, found[0]

    def send(self, topic: str, key: bytes | None, value: bytes | None,
             headers: Headers | None = None) -> None:
        self.producer.produce(topic, key=key, value=value, headers=headers, on_delivery=self._report)
        self.producer.poll(0)

    def flush(self) -> None:
        assert self.producer.flush(30) == 0, "records left undelivered"
        assert not self.errors, f"delivery failed: {self.errors[0]}"

    def per_partition(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for places in self.positions.values():
            for partition, _ in places:
                counts[partition] = counts.get(partition, 0) + 1
        return counts


@pytest.fixture
def feeder(kafka_bootstrap: str) -> Feeder:
    return Feeder()


class StartTransformer(Protocol):
    def __call__(self, settings: TransformerSettings, module: str = "transformer",
                 env: dict[str, str] | None = None) -> Spawned: ...


@pytest.fixture
def start_transformer(impl: Implementation, tmp_path: Path) -> Iterator[StartTransformer]:
    """Start the implementation's transformer (`transformer`, or the exactly-once `transactional`) as
    a real process, with extra environment (faults: `EX01_FAULT_*`); every one is killed at the end."""
    started: list[Spawned] = []

    def start(settings: TransformerSettings, module: str = "transformer",
              env: dict[str, str] | None = None) -> Spawned:
        process = Spawned(impl.module_name(module), {**settings_env(settings), **(env or {})},
                          tmp_path / f"{module}-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def finished(process: Spawned, timeout_s: float) -> int:
    """Wait for a transformer that is expected to exit; its exit code. A starter's stub that ended it
    is reported as "not implemented yet", not as a wrong exit code."""
    code = process.wait(timeout_s)
    if "NotImplementedError" in process.log():
        process.check_alive()
    return code
