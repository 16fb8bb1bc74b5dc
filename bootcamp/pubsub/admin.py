"""Topic and subscription administration, idempotent: create what is missing, keep what exists.

Exercises create their resources by code on every start, so a fresh emulator (which forgets
everything on restart) and a cloud project that already has them behave the same. A subscription's
dead-letter and retry policies are set at creation; an existing subscription is left as it is
(`gcloud pubsub subscriptions update` changes policies on purpose, not as a side effect of a start).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1
from google.protobuf import duration_pb2

from bootcamp.pubsub.config import PubSubSettings


@dataclass(frozen=True)
class DeadLetter:
    """Send a message to `topic` after `max_delivery_attempts` (5..100) nacks or expired deadlines."""

    topic: str
    max_delivery_attempts: int = 5


@dataclass(frozen=True)
class Retry:
    """Exponential redelivery delay between `minimum_s` and `maximum_s` (0..600 s)."""

    minimum_s: float = 1.0
    maximum_s: float = 60.0


def _duration(seconds: float) -> duration_pb2.Duration:
    whole = int(seconds)
    return duration_pb2.Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))


def ensure_topic(name: str, project: str | None = None,
                 publisher: pubsub_v1.PublisherClient | None = None) -> str:
    """Create topic `name` unless it exists; return its path `projects/<p>/topics/<name>`."""
    publisher = publisher or pubsub_v1.PublisherClient()
    path: str = publisher.topic_path(project or PubSubSettings().project(), name)
    with contextlib.suppress(gexc.AlreadyExists):
        publisher.create_topic(request={"name": path})
    return path


def ensure_subscription(
    name: str,
    topic: str,
    project: str | None = None,
    *,
    ack_deadline_s: int = 30,
    dead_letter: DeadLetter | None = None,
    retry: Retry | None = None,
    subscriber: pubsub_v1.SubscriberClient | None = None,
) -> str:
    """Create subscription `name` on topic `topic` (a name or a path) unless it exists; return its path.

    With `dead_letter`, the dead-letter topic is created too. (In the cloud, the Pub/Sub service
    account also needs publisher on that topic and subscriber on this subscription; see the README.)
    """
    project = project or PubSubSettings().project()
    subscriber = subscriber or pubsub_v1.SubscriberClient()
    topic_path = topic if topic.startswith("projects/") else ensure_topic(topic, project)
    path: str = subscriber.subscription_path(project, name)
    request: dict[str, object] = {"name": path, "topic": topic_path, "ack_deadline_seconds": ack_deadline_s}
    if dead_letter is not None:
        dlq_path = dead_letter.topic if dead_letter.topic.startswith("projects/") \
            else ensure_topic(dead_letter.topic, project)
        request["dead_letter_policy"] = {"dead_letter_topic": dlq_path,
                                         "max_delivery_attempts": dead_letter.max_delivery_attempts}
    if retry is not None:
        request["retry_policy"] = {"minimum_backoff": _duration(retry.minimum_s),
                                   "maximum_backoff": _duration(retry.maximum_s)}
    with contextlib.suppress(gexc.AlreadyExists):
        subscriber.create_subscription(request=request)
    return path


def delete_subscription(path: str, subscriber: pubsub_v1.SubscriberClient | None = None) -> None:
    """Delete a subscription if it exists (tests and runs clean up after themselves)."""
    subscriber = subscriber or pubsub_v1.SubscriberClient()
    with contextlib.suppress(gexc.NotFound):
        subscriber.delete_subscription(request={"subscription": path})


def delete_topic(path: str, publisher: pubsub_v1.PublisherClient | None = None) -> None:
    """Delete a topic if it exists."""
    publisher = publisher or pubsub_v1.PublisherClient()
    with contextlib.suppress(gexc.NotFound):
        publisher.delete_topic(request={"topic": path})


def pull_all(subscription: str, max_messages: int = 1000, timeout_s: float = 5.0,
             subscriber: pubsub_v1.SubscriberClient | None = None) -> list[pubsub_v1.types.PubsubMessage]:
    """Synchronously pull and ack what is there now (for tests and `bootcamp run` read-backs)."""
    subscriber = subscriber or pubsub_v1.SubscriberClient()
    response = subscriber.pull(request={"subscription": subscription, "max_messages": max_messages},
                               timeout=timeout_s)
    if response.received_messages:
        subscriber.acknowledge(request={"subscription": subscription,
                                        "ack_ids": [m.ack_id for m in response.received_messages]})
    return [m.message for m in response.received_messages]
