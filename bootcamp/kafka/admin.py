"""Topic administration: create topics idempotently, by code, with a chosen partition count."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from bootcamp.errors import BootcampError
from bootcamp.kafka.config import client_config


def ensure_topics(
    names: Iterable[str],
    partitions: int = 3,
    replication_factor: int = -1,
    config: dict[str, Any] | None = None,
    timeout_s: float = 15.0,
) -> list[str]:
    """Create the topics that do not exist yet; return the names that were created.

    `replication_factor=-1` lets the broker apply its default (1 locally, 3 on managed clusters).
    An existing topic is left as it is, even with another partition count: partitions can only grow,
    and growing them silently would break per-key ordering for existing keys.
    """
    admin = AdminClient(client_config(config))
    wanted = [NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
              for name in names]
    if not wanted:
        return []
    futures = admin.create_topics(wanted, operation_timeout=timeout_s, request_timeout=timeout_s)
    created: list[str] = []
    for name, future in futures.items():
        try:
            future.result(timeout=timeout_s)
            created.append(name)
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise BootcampError(f"could not create topic {name!r}: {error}") from exc
    return created


def partition_count(topic: str, config: dict[str, Any] | None = None, timeout_s: float = 10.0) -> int:
    """How many partitions `topic` has (0 if it does not exist)."""
    admin = AdminClient(client_config(config))
    metadata = admin.list_topics(topic=topic, timeout=timeout_s)
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        return 0
    return len(found.partitions)
