"""The bench's baseline: the emulator's own pull-and-republish rate, with no enrichment at all.

A plain streaming-pull subscriber on the raw subscription republishes each message's bytes and
attributes to the enriched topic and acks it when that publish resolves (the same at-least-once
order as the enricher, on the client's callback threads, with no event loop, no HTTP and no JSON). The
enricher cannot beat it on this machine, so `bootcamp bench ex06` reports the enricher as a fraction
of it. Settings: the enricher's environment (RAW_SUBSCRIPTION, ENRICHED_TOPIC, MAX_IN_FLIGHT, ...).
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import Future
from typing import Any

from google.cloud import pubsub_v1

from exercises.ex06_pubsub_enrichment.runtime import EnricherSettings


def main() -> None:
    settings = EnricherSettings()
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(settings.pubsub_project_id, settings.enriched_topic)
    subscription = subscriber.subscription_path(settings.pubsub_project_id, settings.raw_subscription)

    def republish(message: Any) -> None:
        future: Future[str] = publisher.publish(topic, message.data, **dict(message.attributes))

        def settle(done: Future[str]) -> None:
            if done.exception() is None:
                message.ack()
            else:
                message.nack()

        future.add_done_callback(settle)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    flow = pubsub_v1.types.FlowControl(max_messages=settings.max_in_flight)
    streaming = subscriber.subscribe(subscription, republish, flow_control=flow)
    print("baseline ready", flush=True)
    stop.wait()
    streaming.cancel()
    subscriber.close()
    publisher.stop()


if __name__ == "__main__":
    main()
