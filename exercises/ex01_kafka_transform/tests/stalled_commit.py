"""A transformer for the watchdog's test, not the learner's: its first batch waits until the test has
frozen the broker, then commits synchronously. That is the path on which librdkafka reports nothing:
the error callback is served only inside `poll`/`consume`/`flush`, and a synchronous commit waits for
`socket.timeout.ms` (60 s) for a broker that does not answer.

Run as `python -m exercises.ex01_kafka_transform.tests.stalled_commit` with `EX01_*` settings and
`STALLED_GO_FILE`, the file the test creates once the broker is frozen.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from confluent_kafka import Message, TopicPartition

from bootcamp.kafka.messages import position
from exercises.ex01_kafka_transform.runtime import TransformerRuntime, serve


class StalledCommit(TransformerRuntime):
    """Consumes a batch, waits (serving no callbacks) for the go file, then commits it synchronously."""

    def consumer_config(self) -> dict[str, Any]:
        return {**self.membership(), "enable.auto.commit": False, "auto.offset.reset": "earliest"}

    def producer_config(self) -> dict[str, Any]:
        return {}

    def process_batch(self, messages: list[Message]) -> None:
        go = Path(os.environ["STALLED_GO_FILE"])
        print("in the batch, waiting for the go file", file=sys.stderr, flush=True)
        deadline = time.monotonic() + 120
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self._enter("commit")
        last = position(messages[-1])
        self.consumer.commit(offsets=[TopicPartition(last.topic, last.partition, last.offset + 1)],
                             asynchronous=False)


if __name__ == "__main__":
    sys.exit(serve(lambda settings: StalledCommit(settings, transform=lambda value: value)))
