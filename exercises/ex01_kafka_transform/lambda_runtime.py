"""The Lambda handler's provided machinery: a warm producer, credentials, and the event's shapes.

Amazon MSK and self-managed Kafka event sources invoke the function with batches grouped by
topic-partition; keys and values are base64, header values are lists of byte values. The producer is
created once per execution environment and reused across warm invocations; its SASL credentials come
from Secrets Manager. The batch logic itself is the exercise's, in `solution/lambda_handler.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEventRecord
from confluent_kafka import Producer
from pydantic import SecretStr

from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import Headers
from bootcamp.settings import KafkaSettings

_producer: Producer | None = None


class BatchNotDelivered(Exception):
    """Raised so that Lambda retries the batch: some output was not acknowledged."""


@dataclass
class BatchResult:
    """What one invocation did; the handler returns it as a dict."""

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
        # Imported here: it needs boto3, which the Lambda runtime provides, and only this path uses it.
        from aws_lambda_powertools.utilities import parameters

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
