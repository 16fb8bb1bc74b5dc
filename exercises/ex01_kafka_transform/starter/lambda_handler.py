"""The same transform as an AWS Lambda function behind a Kafka event source. YOUR TASK: `handle`.

The event source mapping owns the consumer group and commits offsets itself once the invocation
succeeds, so the at-least-once rule becomes: return only after every output record is acknowledged,
and raise otherwise, which makes Lambda retry the whole batch. The warm producer, credentials and
event decoding are provided, in `lambda_runtime.py`.
"""

from __future__ import annotations

import base64  # noqa: F401  # yours to use
import logging
from typing import Any

from aws_lambda_powertools.utilities.data_classes import KafkaEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from confluent_kafka import KafkaError, Message  # noqa: F401  # yours to use

from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.lambda_runtime import (  # noqa: F401  # yours to use
    BatchNotDelivered,
    BatchResult,
    producer,
    record_headers,
)
from exercises.ex01_kafka_transform.starter.transform import (  # noqa: F401  # yours to use
    TRANSFORM_FAILED,
    Source,
    TransformError,
    dead_letter_headers,
    uppercase,
)

log = logging.getLogger("ex01.lambda")


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
    """Lambda entry point (`Handler: exercises.ex01_kafka_transform.starter.lambda_handler.handler`)."""
    result = handle(event)
    log.info("batch done: %s", result.as_dict())
    return result.as_dict()
