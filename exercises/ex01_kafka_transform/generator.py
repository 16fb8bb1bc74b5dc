"""Feed the input topic: keyed records at a given rate and count.

Each value is `<key>:<seq>:<text>`, where `seq` counts up per key, so any consumer can check per-key
order and find gaps or duplicates. Each record carries a `produced-at-ns` header, from which the observer
and the benchmark compute end-to-end latency. `--bad-every N` makes every N-th record invalid (alternately
not UTF-8 and oversized), to watch the dead-letter topic fill while good records flow.
"""

from __future__ import annotations

import gc
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

import typer
from confluent_kafka import KafkaError, Message, Producer

from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config
from exercises.ex01_kafka_transform.config import TransformerSettings

log = logging.getLogger("ex01.generator")
PRODUCED_AT = "produced-at-ns"
WORDS = ("stream", "event", "offset", "partition", "broker", "window", "replica", "commit")
BODIES = 64  # distinct value bodies per stream (see `records`)
POLL_RESOLUTION_S = 0.001  # librdkafka's poll timeout is whole milliseconds: a shorter one returns at once


@dataclass(frozen=True)
class Record:
    key: bytes
    value: bytes
    seq: int


def records(count: int, keys: int = 16, size: int = 100, bad_every: int = 0,
            max_value_bytes: int = 64 * 1024, seed: int = 7) -> Iterator[Record]:
    """`count` records over `keys` keys, values padded to about `size` bytes, deterministically.

    The text after `<key>:<seq>:` is one of `BODIES` bodies drawn once per stream: a body of random
    words per record cost 34 random choices and a join, 23 us a record, so the generator alone could
    not send 45,000 records/s and took a core the transformer under test needed at that rate. Drawn
    from the pool it costs about 2 us.
    """
    rng = random.Random(seed)
    seqs = [0] * keys
    names = [f"user-{k:04d}".encode() for k in range(keys)]
    bodies = [" ".join(rng.choice(WORDS) for _ in range(size // 6 + 1)).encode() for _ in range(BODIES)]
    for index in range(count):
        k = rng.randrange(keys)
        key = names[k]
        seq = seqs[k]
        seqs[k] += 1
        head = b"%s:%d:" % (key, seq)
        if bad_every and (index + 1) % bad_every == 0:
            if (index // bad_every) % 2 == 0:
                value = head + b"\xff\xfe not utf-8"
            else:
                value = head + b"x" * (max_value_bytes + 1)
        else:
            value = (head + bodies[rng.randrange(BODIES)])[:max(size, len(head) + 1)]
        yield Record(key, value, seq)


def produce(producer: Producer, topic: str, stream: Iterator[Record], rate: float = 0.0) -> int:
    """Send records at `rate` per second (0 = as fast as possible); return how many were acknowledged.

    Ahead of the schedule it waits in `poll` for at least a millisecond, then sends the records that
    have come due together: `poll` takes whole milliseconds, so waiting the few microseconds between
    two records at tens of thousands a second returned at once and the loop spun a core at 100 %.
    `poll` also returns as soon as it has served a delivery report, so it is called again until the
    record is due: called once, the stream ran ahead of its rate whenever reports were waiting.

    Raises if any delivery failed: a generator that silently drops input would make every
    downstream count meaningless.
    """
    failures: list[KafkaError] = []
    delivered = 0

    def on_delivery(error: KafkaError | None, _msg: Message) -> None:
        nonlocal delivered
        if error is not None:
            failures.append(error)
        else:
            delivered += 1

    started = time.perf_counter()
    for sent, record in enumerate(stream):
        if rate > 0:  # ahead of the schedule: wait in poll, for at least its resolution, until due
            due = started + sent / rate
            while (wait := due - time.perf_counter()) > 0:
                producer.poll(max(wait, POLL_RESOLUTION_S))  # returns early when it serves a report
        while True:
            try:
                producer.produce(topic, key=record.key, value=record.value, on_delivery=on_delivery,
                                 headers=[(PRODUCED_AT, str(time.time_ns()).encode())])
                break
            except BufferError:
                producer.poll(0.05)  # local queue full: let deliveries drain, then retry
        producer.poll(0)
    producer.flush(60)
    if failures:
        raise RuntimeError(f"{len(failures)} records were not delivered: {failures[0]}")
    return delivered


def warm(producer: Producer, topic: str) -> None:
    """Connect, fetch `topic`'s metadata and get the idempotent producer's id, before any record of the
    stream is stamped: one record to a scratch topic `<topic>.warm-up`, flushed.

    Without it the first half second of a stream (the connection, the InitProducerId round trip, the
    partition leaders' metadata) is queued inside the client with its produce time already stamped, and
    a 6 s latency run counts that start-up as the p99: measured here, 721 of 6,000 records at 1,000/s
    over 50 ms with no transformer at all, falling from 512 ms to 70 ms in the order they were sent.
    """
    scratch = f"{topic}.warm-up"
    ensure_topics([scratch], partitions=1)
    producer.list_topics(topic, timeout=10)
    failed: list[KafkaError] = []

    def on_delivery(error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            failed.append(error)

    producer.produce(scratch, value=b"warm-up", on_delivery=on_delivery)
    if producer.flush(30) or failed:
        raise RuntimeError(f"the warm-up record was not delivered: {failed[0] if failed else 'timeout'}")


def main(
    count: Annotated[int, typer.Option(help="records to send")] = 1000,
    rate: Annotated[float, typer.Option(help="records per second; 0 = as fast as possible")] = 200,
    keys: Annotated[int, typer.Option(help="distinct keys")] = 16,
    size: Annotated[int, typer.Option(help="approximate value size in bytes")] = 100,
    bad_every: Annotated[int, typer.Option(help="make every N-th record invalid (0 = none)")] = 0,
    topic: Annotated[str | None, typer.Option(help="default: EX01_INPUT_TOPIC")] = None,
    linger_ms: Annotated[float, typer.Option(help="producer linger: part of the end-to-end latency")] = 5,
    seed: Annotated[int, typer.Option(help="seed of the deterministic record stream")] = 7,
    warm_up: Annotated[bool, typer.Option(help="connect and get the producer id before the first "
                                               "record is stamped (see `warm_up`)")] = True,
) -> None:
    """Send keyed records to the input topic."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = TransformerSettings()
    target = topic or settings.input_topic
    ensure_topics(settings.topics(), partitions=settings.partitions)
    producer = Producer(client_config({"linger.ms": linger_ms, "enable.idempotence": True,
                                       "socket.nagle.disable": True,  # a stamped record goes at once
                                       "partitioner": "murmur2_random"}))
    if warm_up:
        warm(producer, target)
    gc.freeze()  # what is alive now lives as long as the process: no full collection walks it mid-stream
    sent = produce(producer, target, records(count, keys, size, bad_every, settings.max_value_bytes, seed),
                   rate)
    log.info("sent %d records to %s", sent, target)


if __name__ == "__main__":
    typer.run(main)
