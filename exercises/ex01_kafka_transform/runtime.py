"""The transformer's provided machinery: lifecycle, counters, signals, lag, faults and exit codes.

This part is not the exercise. `TransformerRuntime` owns the consumer and producer, runs the loop
(`consume` a batch, hand it to `process_batch`, log statistics with the group's lag per partition),
notices when every broker is unreachable, stops on request, and on the way out flushes, leaves the
group and logs its counters. The parts that decide the delivery guarantees (the client settings,
`transform_and_produce`, `process_batch`, and for exactly-once the transaction) are the exercise's, in
`solution/`, or in `starter/` for you to write.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from bootcamp.errors import BootcampError
from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config, consumer_group_config
from bootcamp.kafka.messages import Headers
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import FaultSettings, TransformerSettings
from exercises.ex01_kafka_transform.offsets import format_lag, lag

log = logging.getLogger("ex01.transformer")

Transform = Callable[[bytes | None], bytes | None]


class DeliveryFailed(Exception):
    """Some records of a batch were not acknowledged; the batch must not be committed."""


class TransactionFailed(Exception):
    """The exactly-once variant gave up on a batch (aborted too often, or its commit never completed)."""


class BrokerUnavailable(Exception):
    """Every broker was unreachable for longer than `broker_timeout_s`."""


EXIT_OK, EXIT_FAILED, EXIT_SETUP, EXIT_FENCED = 0, 1, 2, 3


@dataclass
class Counters:
    """What the transformer has done, for logs, tests and the benchmark."""

    consumed: int = 0
    produced: int = 0
    dead_lettered: int = 0
    batches: int = 0
    commit_failures: int = 0
    aborted: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class Deliveries:
    """The delivery reports of one batch: failures kept, successes counted.

    `callback(dead_letter)` is the `on_delivery` for one produced record. In a transaction the counts
    include records the broker accepted in a transaction that was later aborted.
    """

    counters: Counters
    failures: list[KafkaError] = field(default_factory=list)

    def callback(self, dead_letter: bool) -> Callable[[KafkaError | None, Message], None]:
        """A bound method, not a closure made per record: the same two serve the whole batch."""
        return self._dead_lettered if dead_letter else self._produced

    def _produced(self, error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            self.failures.append(error)
        else:
            self.counters.produced += 1

    def _dead_lettered(self, error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            self.failures.append(error)
        else:
            self.counters.dead_lettered += 1


class FaultyProducer(Producer):
    """A producer that pauses or fails at a chosen `commit_transaction` call (see `FaultSettings`).

    Used only when a fault is configured: it is how the tests kill a transformer inside an open
    transaction, or just after a commit, deterministically.
    """

    faults: FaultSettings
    commits: int

    def commit_transaction(self, *args: Any) -> None:
        self.commits += 1
        n, faults = self.commits, self.faults
        if n == faults.abort_at:
            # The batch's records reach the log first, as when one record of many times out: the abort
            # then has records to mark (without the flush, whether any were sent is down to timing).
            self.flush(30)
            log.warning("fault injection: commit %d fails with an abortable error", n)
            raise KafkaException(KafkaError(KafkaError._MSG_TIMED_OUT, "fault injection: a record of "
                                            "this transaction was not delivered", txn_requires_abort=True))
        if n == faults.pause_in_transaction_at:
            self.flush(30)  # the open transaction's records reach the log, uncommitted
            log.warning("fault injection: paused inside an open transaction before commit %d", n)
            time.sleep(faults.pause_s)
        super().commit_transaction(*args)
        if n == faults.pause_after_commit_at:
            log.warning("fault injection: paused after commit %d", n)
            time.sleep(faults.pause_s)


class TransformerRuntime(ABC):
    """A consumer-group member that hands each consumed batch to `process_batch`."""

    def __init__(self, settings: TransformerSettings, transform: Transform,
                 kafka: KafkaSettings | None = None) -> None:
        self.settings = settings
        self.transform = transform
        self.counters = Counters()
        self._stopping = threading.Event()
        self._down_since: float | None = None
        self._fatal = False
        self._phase, self._phase_since = "starting", time.monotonic()
        self._closed = threading.Event()
        # TCP_NODELAY: librdkafka leaves Nagle's algorithm on by default (`socket.nagle.disable`
        # false), so a small request can wait for the previous one's ACK; the Java client turns it
        # off. Set first, so a learner's config may still override it.
        nodelay = {"socket.nagle.disable": True}
        self.consumer = Consumer(client_config({**nodelay, **self.consumer_config(),
                                                "error_cb": self._on_error}, kafka))
        faults = FaultSettings()
        producer_config = client_config({**nodelay, **self.producer_config(), "error_cb": self._on_error},
                                        kafka)
        if faults.pause_in_transaction_at or faults.pause_after_commit_at or faults.abort_at:
            faulty = FaultyProducer(producer_config)
            faulty.faults, faulty.commits = faults, 0
            self.producer: Producer = faulty
        else:
            self.producer = Producer(producer_config)
        self._last_stats = time.monotonic()
        self._last_consumed = 0

    def membership(self) -> dict[str, Any]:
        """Group settings for `consumer_config`: the group, its protocol, timings, static membership.

        The classic protocol gets the local profile's short session (`consumer_group_config`); KIP-848's
        `consumer` protocol takes its session and heartbeat from the broker, so they are not set here.
        """
        config: dict[str, Any] = {"group.id": self.settings.group_id}
        if self.settings.group_protocol == "consumer":
            config["group.protocol"] = "consumer"
        else:
            config.update(consumer_group_config())
        if self.settings.group_instance_id:
            config["group.instance.id"] = self.settings.group_instance_id
        return config

    def prepare(self) -> None:
        """Called once before the group is joined (the exactly-once variant initialises its
        transactions here)."""
        return

    @abstractmethod
    def consumer_config(self) -> dict[str, Any]:
        """librdkafka consumer settings (beyond connection and security, which come from KAFKA_*)."""

    @abstractmethod
    def producer_config(self) -> dict[str, Any]:
        """librdkafka producer settings (beyond connection and security)."""

    @abstractmethod
    def process_batch(self, messages: list[Message]) -> None:
        """Transform and produce one consumed batch; commit it when it is safe to."""

    def run(self) -> None:
        """Process batches until `stop()`; then flush, leave the group and log the counters."""
        threading.Thread(target=self._watchdog, name="watchdog", daemon=True).start()
        try:
            self.prepare()
        except BaseException:
            self._fatal = True
            self.close()
            raise
        self.consumer.subscribe([self.settings.input_topic], on_assign=self._on_assign,
                                on_revoke=self._on_revoke)
        log.info("transforming %s -> %s (dead letters: %s), group %s", self.settings.input_topic,
                 self.settings.output_topic, self.settings.dead_letter_topic, self.settings.group_id)
        # Everything alive now (the imported modules, the clients, the settings) lives as long as the
        # process: frozen, the cyclic collector's full collections no longer walk it. Measured at
        # 15,000 records/s, a full collection over it took 55 ms, twice in an 11 s run, and every
        # record in flight waited for it: the p99. The loop's own garbage is still collected.
        gc.freeze()
        try:
            while not self._stopping.is_set():
                self._enter("consume")
                messages = self._next_batch()
                if messages:
                    self._enter("process_batch")
                    self.process_batch(messages)
                self._check_brokers()
                self._maybe_log_stats()
        except KafkaException as exc:
            self._fatal = isinstance(exc.args[0], KafkaError) and exc.args[0].fatal()
            raise
        finally:
            self.close()

    def _next_batch(self) -> list[Message]:
        """Up to `batch_size` records. `fill` waits until the batch is full or `batch_timeout_s` has
        passed, so below batch_size records per timeout every record waits the whole timeout; `first`
        waits for one record, then takes what is already fetched, so a batch is as large as the backlog
        (full under load, a record or two when idle) and a record waits only for the batch before it."""
        size, timeout = self.settings.batch_size, self.settings.batch_timeout_s
        if self.settings.batch_wait == "fill":
            return self.consumer.consume(num_messages=size, timeout=timeout)
        first = self.consumer.poll(timeout)
        if first is None:
            return []
        return [first, *self.consumer.consume(num_messages=size - 1, timeout=0)] if size > 1 else [first]

    def produce(self, topic: str, key: bytes | None, value: bytes | None, record_headers: Headers | None,
                on_delivery: Callable[[KafkaError | None, Message], None]) -> None:
        """`producer.produce`, waiting for room when the client's local queue is full."""
        while True:
            try:
                self.producer.produce(topic, key=key, value=value, headers=record_headers,
                                      on_delivery=on_delivery)
                return
            except BufferError:  # serve delivery reports, which frees the queue, then try again
                self.producer.poll(0.05)

    def _on_error(self, error: KafkaError) -> None:
        """librdkafka's error callback: client-level events, most of them retried by the client."""
        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning("every broker is unreachable; waiting up to %.0fs for one (%s)",
                            self.settings.broker_timeout_s, error.str())
        elif error.fatal():
            log.warning("the client reports a fatal error: %s", error.str())
        else:
            log.debug("client error (retried by the client): %s", error.str())

    def _enter(self, phase: str) -> None:
        self._phase, self._phase_since = phase, time.monotonic()

    def _watchdog(self) -> None:
        """The last guard against waiting in silence: librdkafka calls without a timeout (a
        synchronous commit, closing the group) can block while no broker answers. If one phase of the
        loop lasts longer than both bounds while every broker is down, log why and exit 1. Nothing
        undelivered was committed, so a restart resumes correctly.

        "Every broker is down" cannot wait for the error callback alone: librdkafka serves it only
        inside `poll`, `consume` or `flush`, so a broker that dies while the loop is blocked in a
        synchronous commit (which waits for `socket.timeout.ms`, 60 s by default) is never reported.
        A phase stuck past the bound therefore asks the cluster itself, at most every few seconds."""
        bound = self.settings.broker_timeout_s + self.settings.flush_timeout_s + 5
        probed_at = 0.0
        while not self._closed.wait(0.5):
            now = time.monotonic()
            stuck = now - self._phase_since
            if stuck <= bound:
                continue
            if self._down_since is None:
                if now - probed_at < 3:
                    continue
                probed_at = now
                if self._a_broker_answers():
                    continue
            log.error("lost the brokers, stuck in %s for %.0fs with no broker reachable; exiting "
                      "(nothing undelivered was committed)", self._phase, stuck)
            logging.shutdown()
            os._exit(EXIT_FAILED)

    def _a_broker_answers(self, within_s: float = 3.0) -> bool:
        """A metadata request for the input topic, answered by any broker within `within_s`.

        Asked through the producer's handle, in a thread of its own with a bounded wait: measured with
        a frozen broker, the consumer's `list_topics(timeout=2)` did not return for over 30 s while a
        synchronous commit was in flight on the same handle."""
        answered = threading.Event()

        def probe() -> None:
            with contextlib.suppress(KafkaException, RuntimeError):
                self.producer.list_topics(self.settings.input_topic, timeout=within_s)
                answered.set()

        threading.Thread(target=probe, name="broker-probe", daemon=True).start()
        return answered.wait(within_s + 0.5)

    def _check_brokers(self) -> None:
        """While every broker is down: a metadata request tells when one is back; give up after
        `broker_timeout_s` instead of waiting in silence."""
        if self._down_since is None:
            return
        try:
            self.consumer.list_topics(self.settings.input_topic, timeout=1.0)
        except KafkaException:
            down = time.monotonic() - self._down_since
            if down > self.settings.broker_timeout_s:
                raise BrokerUnavailable(f"no broker reachable for {down:.0f}s (EX01_BROKER_TIMEOUT_S="
                                        f"{self.settings.broker_timeout_s:g})") from None
            return
        log.info("a broker is reachable again after %.1fs", time.monotonic() - self._down_since)
        self._down_since = None

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("partitions assigned: %s", [p.partition for p in partitions])

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # `run` hands a batch to `process_batch` and calls `consume` again only afterwards, and this
        # callback runs inside `consume`: a batch that is processed and committed in `process_batch`
        # leaves nothing in flight for the partitions being taken away.
        log.info("partitions revoked: %s", [p.partition for p in partitions])

    def stop(self) -> None:
        """Ask the loop to finish its current batch and shut down (safe from a signal handler)."""
        self._stopping.set()

    def close(self) -> None:
        """Flush what is in flight, leave the group (so partitions move at once), log the counters.

        After a fatal error (a fenced producer) nothing can be flushed; the group is still left.
        """
        self._enter("close")
        if not self._fatal:
            self.producer.flush(self.settings.flush_timeout_s)
        lag_text = self.lag_text() if not self._fatal and self._down_since is None else "lag unknown"
        self.consumer.close()
        self._closed.set()
        log.info("stopped: %s %s", self.stats_line(), lag_text)

    def stats_line(self) -> str:
        c = self.counters
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(c.reasons.items())) or "none"
        return (f"consumed={c.consumed} produced={c.produced} dead_lettered={c.dead_lettered} "
                f"batches={c.batches} commit_failures={c.commit_failures} aborted={c.aborted} "
                f"reasons: {reasons}")

    def lag_text(self) -> str:
        """The group's lag on this member's partitions: end offset minus committed offset, each."""
        try:
            return format_lag(lag(self.consumer, self.consumer.assignment(), timeout_s=2.0))
        except (KafkaException, RuntimeError) as exc:
            return f"lag unknown ({exc})"

    def _maybe_log_stats(self) -> None:
        now = time.monotonic()
        elapsed = now - self._last_stats
        if elapsed >= self.settings.stats_interval_s:
            rate = (self.counters.consumed - self._last_consumed) / elapsed
            log.info("%s rate=%.0f rec/s %s", self.stats_line(), rate, self.lag_text())
            self._last_stats, self._last_consumed = now, self.counters.consumed


def serve(make: Callable[[TransformerSettings], TransformerRuntime]) -> int:
    """Run a transformer until SIGINT or SIGTERM.

    Exit 0 after a clean shutdown; 1 when a batch could not be delivered or committed (its offsets are
    not committed, so a restart resumes before it), when every broker stayed unreachable for
    `broker_timeout_s`, or on a fatal Kafka error; 2 for a setup mistake; 3 when a newer instance with
    the same `transactional.id` fenced this one (restarting it would fence the newer one in turn).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        stream=sys.stderr)
    settings = TransformerSettings()
    try:
        if settings.create_topics:
            ensure_topics(settings.topics(), partitions=settings.partitions)
    except BootcampError as exc:
        log.error("%s", exc)
        return EXIT_SETUP
    transformer = make(settings)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the current batch", signal.Signals(signum).name)
        transformer.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        transformer.run()
    except (DeliveryFailed, TransactionFailed, BrokerUnavailable) as exc:
        what = {DeliveryFailed: "batch not delivered", TransactionFailed: "transaction given up",
                BrokerUnavailable: "lost the brokers"}[type(exc)]
        log.error("%s, offsets not committed; restart to resume: %s", what, exc)
        return EXIT_FAILED
    except KafkaException as exc:
        error = exc.args[0]
        if isinstance(error, KafkaError) and error.code() == KafkaError._FENCED:
            log.error("fenced: a newer instance with transactional.id %s took over; this one stops "
                      "(exit %d)", settings.transaction_id(), EXIT_FENCED)
            return EXIT_FENCED
        log.error("fatal Kafka error: %s", exc)
        return EXIT_FAILED
    return EXIT_OK
