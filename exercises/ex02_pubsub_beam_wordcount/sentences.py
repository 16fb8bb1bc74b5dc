"""The provided half of the data generator: the corpus, rate-limited publishing, heartbeats.

Real English sentences, published to the input topic at a steady rate, each built into a Pub/Sub
message by the learner's `make_message` (`<impl>/generator.py`), which sets the two attributes the
pipeline relies on:
- `ts`: the event time, in milliseconds since the epoch. Beam's `ReadFromPubSub(timestamp_attribute=)`
  stamps elements with it, and Dataflow estimates its watermark from it. Publish time is not event
  time: a retried publish, a buffered client or a replayed backlog all publish "now" events that
  happened earlier.
- `id`: unique per logical event. Dataflow's `ReadFromPubSub(id_label="id")` drops messages whose
  id it has already seen: duplicates a publisher made by publishing the same event twice, which
  Pub/Sub gave two message ids. Redeliveries of one Pub/Sub message Dataflow (exactly-once mode)
  deduplicates by its Pub/Sub message id without being told.

This module imports nothing from the bootcamp platform: it is deployed as is, with the generator,
beside the Cloud Function in `deploy/function/`. The corpus is prose from the Python Language
Reference, which every Python installation ships (`pydoc_data.topics`), so nothing needs a data file.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from google.cloud import pubsub_v1

_SENTENCE = re.compile(r"[A-Z][A-Za-z ,;'()-]+[.]")

MakeMessage = Callable[[str, int, str], tuple[bytes, dict[str, str]]]
"""(sentence, event time ms, id) -> (payload, attributes): the learner's `make_message`."""


@cache
def load_sentences() -> tuple[str, ...]:
    """Sentences of 6..30 plain words from the Python Language Reference, in a stable order."""
    from pydoc_data.topics import topics

    text = re.sub(r"\s+", " ", " ".join(topics[key] for key in sorted(topics)))
    found = (s for s in re.split(r"(?<=[.!?])\s+", text) if _SENTENCE.fullmatch(s))
    return tuple(dict.fromkeys(s for s in found if 6 <= len(s.split()) <= 30))


@dataclass(frozen=True)
class Published:
    """What was sent: the sentence, its event time (ms) and its id (tests compute expectations from it)."""

    sentence: str
    event_time_ms: int
    message_id: str


def publish_sentences(
    publisher: pubsub_v1.PublisherClient,
    topic_path: str,
    count: int,
    rate_per_s: float = 0.0,
    *,
    make_message: MakeMessage,
    sentences: Sequence[str] | None = None,
    clock_ms: Callable[[], int] | None = None,
    start: int = 0,
) -> list[Published]:
    """Publish `count` sentences (cycling through the corpus from `start`) at `rate_per_s` (0 = flat out).

    `make_message` turns each into a payload and attributes; it has no default, so whoever calls
    this says whose code builds the messages. Returns only after every publish future resolved, so
    the caller knows the broker has them all: an exception here means some were not sent.
    """
    corpus = sentences or load_sentences()
    clock = clock_ms or (lambda: time.time_ns() // 1_000_000)  # injectable for tests of event time
    sent: list[Published] = []
    futures = []
    began = time.monotonic()
    for i in range(count):
        if rate_per_s > 0:
            delay = began + i / rate_per_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        item = Published(corpus[(start + i) % len(corpus)], clock(), uuid.uuid4().hex)
        data, attributes = make_message(item.sentence, item.event_time_ms, item.message_id)
        futures.append(publisher.publish(topic_path, data, **attributes))
        sent.append(item)
    for future in futures:
        future.result(timeout=60)
    return sent


def publish_heartbeat(publisher: pubsub_v1.PublisherClient, topic_path: str) -> None:
    """A message with no words (one space; the emulator refuses empty ones) stamped "now".

    The BundleBasedDirectRunner advances its watermark only when a pull returns, and an idle pull
    blocks for up to 30 s; a heartbeat keeps windows closing on time. Real producers send heartbeats
    for the same reason.
    """
    publisher.publish(topic_path, b" ", ts=str(time.time_ns() // 1_000_000),
                      id=uuid.uuid4().hex).result(timeout=30)


def main(make_message: MakeMessage, argv: Sequence[str] | None = None) -> None:
    """`python -m <impl>.generator --count N --rate R`: publish to $INPUT_TOPIC in $PUBSUB_PROJECT_ID."""
    import argparse
    import os

    parser = argparse.ArgumentParser(description="publish sentences with event-time and id attributes")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second (0 = flat out)")
    parser.add_argument("--topic", default=os.environ.get("INPUT_TOPIC", "ex02-input"))
    parser.add_argument("--project", default=os.environ.get("PUBSUB_PROJECT_ID", "bootcamp-local"))
    args = parser.parse_args(argv)
    publisher = pubsub_v1.PublisherClient()
    sent = publish_sentences(publisher, publisher.topic_path(args.project, args.topic), args.count,
                             args.rate, make_message=make_message)
    print(f"published {len(sent)} sentences to {args.topic}")
