"""The same transform as an AWS Lambda function behind a Kafka event source.

Amazon MSK and self-managed Kafka event sources invoke the function with batches grouped by
topic-partition; keys and values are base64, header values are lists of byte values. The event source
mapping owns the consumer group and commits offsets itself once the invocation succeeds, so the
at-least-once rule becomes: return only after every output record is acknowledged, and raise otherwise,
which makes Lambda retry the whole batch (and, after its retries, send it to the on-failure destination
configured in the SAM template).

The producer is created once per execution environment and reused across warm invocations.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.data_classes import KafkaEvent, event_source
from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEventRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from confluent_kafka import KafkaError, Message, Producer
from pydantic import SecretStr

from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import Headers
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.solution.transform import (
    TRANSFORM_FAILED,
    Source,
    TransformError,
    dead_letter_headers,
    uppercase,
)

log = logging.getLogger("ex01.lambda")
_producer: Producer | None = None


class BatchNotDelivered(Exception):
    """Raised so that Lambda retries the batch: some output was not acknowledged."""


@dataclass
class BatchResult:
    records: int = 0
    transformed: int = 0
    dead_lettered: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"records": self.records, "transformed": self.transformed, "deadLettered": self.dead_lettered}


def kafka_settings() -> KafkaSettings:
    """Connection settings from the environment, with SASL credentials from Secrets Manager.

    The templates pass `KAFKA_SASL_SECRET_ARN` (the same secret the event source mapping uses) rather
    than the credentials themselves, which would show in plain text in the function's configuration.
    """
    settings = KafkaSettings()
    arn = os.environ.get("KAFKA_SASL_SECRET_ARN")
    if arn:
        secret = parameters.get_secret(arn, transform="json")
        if not isinstance(secret, dict) or not {"username", "password"} <= secret.keys():
            raise ValueError(f"secret {arn} must be JSON with 'username' and 'password'")
        settings = settings.model_copy(update={"sasl_username": secret["username"],
                                               "sasl_password": SecretStr(secret["password"])})
    return settings


def producer() -> Producer:
    """The execution environment's producer (created on first use, kept warm)."""
    global _producer  # noqa: PLW0603  # one producer per Lambda execution environment is the point
    if _producer is None:
        _producer = Producer(client_config({"enable.idempotence": True, "linger.ms": 5,
                                            "partitioner": "murmur2_random"}, kafka_settings()))
    return _producer


def record_headers(record: KafkaEventRecord) -> Headers:
    """The event's headers ([{name: [byte, ...]}, ...]) as Kafka client headers, order and repeats kept."""
    return [(name, bytes(value)) for header in record.headers for name, value in header.items()]


def handle(event: KafkaEvent, settings: TransformerSettings | None = None) -> BatchResult:
    """Transform every record of the batch; return once all output is acknowledged."""
    settings = settings or TransformerSettings()
    out = producer()
    result = BatchResult()
    failures: list[KafkaError] = []

    def on_delivery(dead_letter: bool, error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            failures.append(error)
        elif dead_letter:
            result.dead_lettered += 1
        else:
            result.transformed += 1

    for record in event.records:
        result.records += 1
        key = base64.b64decode(record.key) if record.key else None
        value = base64.b64decode(record.value) if record.value is not None else None
        headers = record_headers(record)
        try:
            transformed = uppercase(value, settings.max_value_bytes)
        except Exception as exc:
            error = exc if isinstance(exc, TransformError) else TransformError(TRANSFORM_FAILED, repr(exc))
            source = Source(record.topic, record.partition, record.offset, record.timestamp)
            out.produce(settings.dead_letter_topic, key=key, value=value,
                        headers=dead_letter_headers(headers, source, error),
                        on_delivery=partial(on_delivery, True))
        else:
            out.produce(settings.output_topic, key=key, value=transformed, headers=headers,
                        on_delivery=partial(on_delivery, False))
        out.poll(0)
    remaining = out.flush(settings.flush_timeout_s)
    if remaining or failures:
        raise BatchNotDelivered(f"{remaining} undelivered, {len(failures)} failed "
                                f"({failures[0] if failures else 'timeout'}); Lambda will retry the batch")
    return result


@event_source(data_class=KafkaEvent)
def handler(event: KafkaEvent, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (`Handler: exercises.ex01_kafka_transform.solution.lambda_handler.handler`)."""
    result = handle(event)
    log.info("batch done: %s", result.as_dict())
    return result.as_dict()
