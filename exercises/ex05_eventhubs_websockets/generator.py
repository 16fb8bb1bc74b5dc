"""The generator, provided: sensor readings from several sources, event-time stamped, a little out of
order, sent to the hub at a rate through the Event Hubs Kafka endpoint.

Each source is one key, so Event Hubs (like Kafka) keeps its readings on one partition, in order.
A reading's `time_ms` is when the sensor measured; some readings reach the hub later than newer ones
(a sensor buffering over a flaky link): `disorder_ms` is how far back a reading's stamp may be from
the moment it is sent. The same code runs in Azure Functions (deploy/function_app.py) with an Event
Hubs output binding instead of a producer.

    python -m exercises.ex05_eventhubs_websockets.generator --rate 200 --seconds 30
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from confluent_kafka import Producer

from .config import EventHubsSettings, Ex05Settings
from .events import Event

SOURCES = ("sensor-a", "sensor-b", "sensor-c", "sensor-d")


def readings(count: int, rate: float, start_ms: int, sources: Iterable[str] = SOURCES, seed: int = 5,
             disorder_ms: int = 300) -> list[Event]:
    """`count` readings in send order at `rate` per second in all, from `start_ms` on: round-robin over
    the sources, each a random walk around its own level, stamped up to `disorder_ms` before the
    moment they are sent (so a little out of order). Deterministic for a seed."""
    rng = random.Random(seed)
    names = list(sources)
    level = {name: 20.0 + 5 * i for i, name in enumerate(names)}
    out: list[Event] = []
    for i in range(count):
        name = names[i % len(names)]
        level[name] += rng.gauss(0, 0.5)
        sent_ms = start_ms + int(i * 1000 / rate)
        out.append(Event(name, max(0, sent_ms - rng.randint(0, disorder_ms)), round(level[name], 3)))
    return out


def live(rate: float, sources: Iterable[str] = SOURCES, seed: int = 5,
         disorder_ms: int = 300) -> Iterator[Event]:
    """Readings for ever at `rate`/s, stamped from the wall clock (paced by the caller)."""
    rng = random.Random(seed)
    names = list(sources)
    level = {name: 20.0 + 5 * i for i, name in enumerate(names)}
    i = 0
    while True:
        name = names[i % len(names)]
        level[name] += rng.gauss(0, 0.5)
        now_ms = int(time.time() * 1000)
        yield Event(name, max(0, now_ms - rng.randint(0, disorder_ms)), round(level[name], 3))
        i += 1


def producer(kafka: dict[str, Any]) -> Producer:
    """An idempotent producer: a retried send is not a duplicate reading (Event Hubs' Kafka endpoint
    accepts the idempotent producer)."""
    return Producer({**kafka, "enable.idempotence": True, "linger.ms": 5, "compression.type": "none"})


def send(kafka: dict[str, Any], topic: str, events: Iterable[Event | bytes],
         rate: float | None = None) -> int:
    """Send readings (or raw bytes, for the bad-input tests) keyed by source; wait for every delivery
    report; raise if one failed. `rate` paces the sending (None: as fast as possible)."""
    client = producer(kafka)
    failures: list[str] = []

    def report(err: object, _msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    started, sent = time.monotonic(), 0
    for item in events:
        if isinstance(item, Event):
            client.produce(topic, value=item.to_bytes(), key=item.source.encode(), on_delivery=report)
        else:
            client.produce(topic, value=item, key=b"bad", on_delivery=report)
        sent += 1
        client.poll(0)
        if rate:
            ahead = started + sent / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    remaining = client.flush(60)
    if remaining or failures:
        raise RuntimeError(f"{remaining} readings undelivered; errors: {failures[:3]}")
    return sent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0, help="readings per second, all sources")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send (0: for ever)")
    args = parser.parse_args(argv)
    try:
        kafka = EventHubsSettings().kafka_config()
    except Exception as exc:  # one clear line, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = Ex05Settings()
    stream = live(args.rate)
    count = int(args.rate * args.seconds) if args.seconds else None
    events = stream if count is None else (next(stream) for _ in range(count))
    sent = send(kafka, settings.topic, events, rate=args.rate)
    print(f"sent {sent} readings to {settings.topic}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
