"""The consumer side, provided: read the hub, dead-letter what is malformed, aggregate, publish, commit.

One loop, in a thread of its own (librdkafka's poll blocks): it takes a batch, parses each record
(a malformed one goes to the dead-letter topic with the reason in a header and the original bytes,
and is counted), feeds the readings to the learner's `WindowAggregator`, hands the frames to
`publish` (which returns once the hub has them, i.e. once they are in its replay buffer), and only
then, every `commit_interval_s`, commits the aggregator's checkpoint: per partition the oldest offset
an open window still needs, with the watermarks as commit metadata. At-least-once: a restarted
consumer of the same group re-reads from there and rebuilds the open windows; nothing is lost.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from .config import Ex05Settings
from .events import Aggregate, Event, MalformedEvent, Position, parse

log = logging.getLogger("ex05.pipeline")
Publish = Callable[[list[dict[str, object]]], None]


class Checkpointed(Protocol):
    offset: int
    watermarks: dict[str, int]


class Aggregator(Protocol):
    dropped: int

    def add(self, event: Event, position: Position) -> list[Aggregate]: ...
    def checkpoint(self) -> dict[int, Any]: ...
    def restore(self, watermarks: dict[str, int]) -> None: ...


@dataclass
class Counters:
    events_in: int = 0
    windows_out: int = 0
    malformed: int = 0
    first_offsets: dict[int, int] = field(default_factory=dict)
    """The first offset read from each partition: where this consumer started (tests read it)."""
    lag: int = 0
    newest_event_ms: int = 0


class Pipeline:
    """Consume `settings.topic` with `kafka` (connection settings), aggregate with `aggregator`."""

    def __init__(self, kafka: dict[str, Any], settings: Ex05Settings, aggregator: Aggregator,
                 publish: Publish) -> None:
        self.settings = settings
        self.aggregator = aggregator
        self.publish = publish
        self.counters = Counters()
        self.stop_event = threading.Event()
        self._kafka = kafka
        self._consumer = Consumer({
            **kafka, "group.id": settings.group_id, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "enable.partition.eof": False,
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
        })
        self._dead = Producer({**kafka, "enable.idempotence": True, "linger.ms": 5})
        self._sample: dict[str, int] = {}
        self._last_commit = time.monotonic()

    # -- the group -----------------------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Resume each partition from its committed checkpoint, restoring the watermarks it carries."""
        committed = consumer.committed(partitions, timeout=15)
        for tp in committed:
            if tp.offset < 0:
                tp.offset = OFFSET_BEGINNING
            elif tp.metadata:
                try:
                    self.aggregator.restore({str(k): int(v) for k, v in json.loads(tp.metadata).items()})
                except (ValueError, AttributeError):
                    log.warning("partition %d: unreadable checkpoint metadata, ignored", tp.partition)
        consumer.assign(committed)

    def commit(self) -> None:
        """Commit the aggregator's checkpoint: the offsets from which nothing open is lost."""
        points: dict[int, Checkpointed] = self.aggregator.checkpoint()
        if not points:
            return
        self._dead.flush(30)  # a dead letter is confirmed before the offset that skips it is committed
        offsets = [TopicPartition(self.settings.topic, partition, point.offset,
                                  metadata=json.dumps(point.watermarks, separators=(",", ":")))
                   for partition, point in points.items()]
        for attempt in range(5):
            try:
                self._consumer.commit(offsets=offsets, asynchronous=False)
                return
            except KafkaException as exc:  # a coordinator moving or loading: retriable
                if attempt == 4:
                    raise
                log.info("commit retried: %s", exc)
                time.sleep(0.5)

    # -- the loop ------------------------------------------------------------------------------------
    def handle(self, messages: Sequence[Message]) -> list[dict[str, object]]:
        frames: list[dict[str, object]] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer error: %s", error)
                continue
            partition, offset = message.partition() or 0, message.offset() or 0
            self.counters.first_offsets.setdefault(partition, offset)
            raw = message.value()
            try:
                event = parse(raw)
            except MalformedEvent as exc:
                self._dead_letter(message, str(exc))
                continue
            self.counters.events_in += 1
            self.counters.newest_event_ms = max(self.counters.newest_event_ms, event.time_ms)
            seen = self._sample.get(event.source, 0)
            self._sample[event.source] = seen + 1
            if seen % self.settings.raw_sample_every == 0:
                frames.append({"type": "raw", "source": event.source, "t": event.time_ms, "v": event.value})
            for aggregate in self.aggregator.add(event, Position(partition, offset)):
                self.counters.windows_out += 1
                frames.append(aggregate.to_frame())
        return frames

    def _dead_letter(self, message: Message, reason: str) -> None:
        self.counters.malformed += 1
        headers: list[tuple[str, str | bytes | None]] = [
            ("reason", reason.encode()), ("source.partition", str(message.partition()).encode()),
            ("source.offset", str(message.offset()).encode())]
        self._dead.produce(self.settings.dead_letter_topic, value=message.value(), key=message.key(),
                           headers=headers)
        self._dead.poll(0)

    def run(self, max_events: int | None = None) -> None:
        """Consume until `stop()` (or `max_events` readings, for tests), then commit and leave."""
        self._consumer.subscribe([self.settings.topic], on_assign=self._on_assign)
        try:
            while not self.stop_event.is_set():
                messages = self._consumer.consume(self.settings.batch_size, timeout=0.2)
                if messages:
                    frames = self.handle(messages)
                    if frames:
                        self.publish(frames)  # returns once the hub holds them
                    self._update_lag()
                if time.monotonic() - self._last_commit >= self.settings.commit_interval_s:
                    self.commit()
                    self._last_commit = time.monotonic()
                if max_events is not None and self.counters.events_in >= max_events:
                    break
            self.commit()
        finally:
            self._dead.flush(30)
            self._consumer.close()

    def _update_lag(self) -> None:
        lag = 0
        for tp in self._consumer.assignment():
            try:
                _low, high = self._consumer.get_watermark_offsets(tp, cached=True)
                position = self._consumer.position([tp])[0].offset
            except KafkaException:
                continue
            if high >= 0 and position >= 0:
                lag += max(0, high - position)
        self.counters.lag = lag

    def stop(self) -> None:
        self.stop_event.set()


def ensure_topics(kafka: dict[str, Any], settings: Ex05Settings) -> None:
    """Create the hub and the dead-letter topic if the configuration allows (not on Event Hubs)."""
    if not settings.create_topics:
        return
    from bootcamp.kafka.admin import ensure_topics as create

    create([settings.topic, settings.dead_letter_topic], partitions=settings.partitions, config=kafka)
