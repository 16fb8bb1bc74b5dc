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

import base64  # noqa: F401  # yours to use
import logging
import os
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.data_classes import KafkaEvent, event_source
from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEventRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from confluent_kafka import KafkaError, Message, Producer  # noqa: F401  # yours to use
from pydantic import SecretStr

from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import Headers
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.starter.transform import (  # noqa: F401  # yours to use
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
    """Transform every record of the batch; return once all output is acknowledged.

    `event.records` yields the records; keys and values are base64 (`record.key` may be absent),
    `record_headers(record)` gives the headers. Upper-case each value with `uppercase`; produce the
    result to `settings.output_topic` or, when it fails, the original bytes to
    `settings.dead_letter_topic` with `dead_letter_headers(...)`. Use `producer()`. Count in a
    `BatchResult` from delivery reports, then flush: if anything is undelivered or failed, raise
    `BatchNotDelivered` so that Lambda retries the batch.
    """
    raise NotImplementedError("lambda_handler.handle: transform the batch, produce, await deliveries")


@event_source(data_class=KafkaEvent)
def handler(event: KafkaEvent, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (`Handler: exercises.ex01_kafka_transform.solution.lambda_handler.handler`)."""
    result = handle(event)
    log.info("batch done: %s", result.as_dict())
    return result.as_dict()
