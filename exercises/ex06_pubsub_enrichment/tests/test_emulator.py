"""The local part the kill test rests on: does the Pub/Sub emulator redeliver what a SIGKILLed
subscriber held? (It does, eventually; see the README's Known limits for how it gets in the way.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from typing import Any

import pytest
from google.cloud import pubsub_v1

from bootcamp.pubsub.admin import delete_subscription, delete_topic, ensure_subscription, ensure_topic
from bootcamp.pubsub.config import PubSubSettings

HOLDER = textwrap.dedent("""
    import sys, threading
    from google.cloud import pubsub_v1
    held, lock = [], threading.Lock()
    def hold(message):  # never ack, never nack: the leases are all the process keeps
        with lock:
            held.append(message)
            print(len(held), flush=True)
    flow = pubsub_v1.types.FlowControl(max_messages=1000, max_duration_per_lease_extension=10)
    pubsub_v1.SubscriberClient().subscribe(sys.argv[1], hold, flow_control=flow).result()
""")


@pytest.mark.slow
@pytest.mark.integration
def test_messages_held_by_a_sigkilled_subscriber_are_redelivered(pubsub: str) -> None:
    """500 messages leased (never acked) by a plain streaming-pull subscriber, which is then SIGKILLed;
    a new subscriber on the same subscription (no retry policy) gets all 500 back."""
    project = PubSubSettings().project()
    name = f"t06e-{uuid.uuid4().hex[:8]}"
    topic = ensure_topic(name, project)
    subscription = ensure_subscription(name, topic, project, ack_deadline_s=10)
    try:
        publisher = pubsub_v1.PublisherClient()
        for future in [publisher.publish(topic, json.dumps({"i": i}).encode()) for i in range(500)]:
            future.result(timeout=30)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, subscription], stdout=subprocess.PIPE,
                                  text=True, env=os.environ.copy())
        assert holder.stdout is not None
        held = 0
        for line in holder.stdout:
            held = int(line)
            if held == 500:
                break
        holder.kill()
        holder.wait(timeout=10)
        assert held == 500, "the first subscriber leased every message"
        killed = time.monotonic()

        back: set[int] = set()
        lock = threading.Lock()
        everything = threading.Event()

        def take(message: Any) -> None:
            with lock:
                back.add(json.loads(message.data)["i"])
                if len(back) == 500:
                    everything.set()
            message.ack()

        subscriber = pubsub_v1.SubscriberClient()
        streaming = subscriber.subscribe(subscription, take)
        everything.wait(timeout=300)
        streaming.cancel()
        subscriber.close()
        print(f"\n{len(back)} of 500 back, the last after {time.monotonic() - killed:.0f} s")
        assert len(back) == 500, f"the emulator redelivered only {len(back)} of 500 leased messages"
    finally:
        delete_subscription(subscription)
        delete_topic(topic)
