"""The benchmark's baseline: the same windowed word count with the plain google-cloud-pubsub client.

Streaming pull with a callback: split, count into the message's event-time window, ack. A flusher
publishes a window's counts once the wall clock is `grace_s` past its end. No watermark, no late
panes, no exactly-once state, no autoscaling: it shows what Beam's model costs on one machine, not a
design to copy (a crash loses the counts of every open window, whose messages are already acked).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, defaultdict

from google.cloud import pubsub_v1

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


class PlainWordCount:
    def __init__(self, subscription: str, output_topic: str, window_s: float, grace_s: float = 0.5) -> None:
        self.subscription = subscription
        self.output_topic = output_topic
        self.size_ms = round(window_s * 1000)
        self.grace_s = grace_s
        self.windows: dict[int, Counter[str]] = defaultdict(Counter)
        self.lock = threading.Lock()
        self.processed = 0
        self.latencies_s: list[float] = []
        self.published_windows = 0
        self.window_latencies_s: list[float] = []
        self.publisher = pubsub_v1.PublisherClient()
        self.subscriber = pubsub_v1.SubscriberClient()
        self._stop = threading.Event()

    def _on_message(self, message: pubsub_v1.subscriber.message.Message) -> None:
        event_ms = int(message.attributes.get("ts", "0"))
        words = _WORD.findall(message.data.decode("utf-8", errors="replace").lower())
        with self.lock:
            self.windows[event_ms - event_ms % self.size_ms].update(words)
            self.processed += 1
            self.latencies_s.append(time.time() - event_ms / 1000)
        message.ack()

    def _flush(self) -> None:
        while not self._stop.wait(0.2):
            now_ms = time.time() * 1000
            with self.lock:
                due = [start for start in self.windows if start + self.size_ms + self.grace_s * 1000 < now_ms]
                closed = [(start, self.windows.pop(start)) for start in due]
            for start, counts in closed:
                futures = [self.publisher.publish(self.output_topic, json.dumps(
                    {"word": w, "count": c, "window_start_ms": start}).encode()) for w, c in counts.items()]
                for future in futures:
                    future.result(timeout=30)
                self.published_windows += 1
                self.window_latencies_s.append(time.time() - (start + self.size_ms) / 1000)

    def start(self) -> None:
        flow = pubsub_v1.types.FlowControl(max_messages=2000)
        self.future = self.subscriber.subscribe(self.subscription, self._on_message, flow_control=flow)
        self.flusher = threading.Thread(target=self._flush, daemon=True)
        self.flusher.start()

    def stop(self) -> None:
        self._stop.set()
        self.future.cancel()
        self.future.result(timeout=30)
        self.flusher.join(timeout=10)
