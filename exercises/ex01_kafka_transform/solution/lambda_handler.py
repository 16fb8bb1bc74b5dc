"""The same transform as an AWS Lambda function behind a Kafka event source.

The event source mapping owns the consumer group and commits offsets itself once the invocation
succeeds, so the at-least-once rule becomes: return only after every output record is acknowledged,
and raise otherwise, which makes Lambda retry the whole batch (and, after its retries, send it to the
on-failure destination configured in the SAM template). The warm producer, credentials and event
decoding are provided, in `lambda_runtime.py`.
"""

from __future__ import annotations

import base64
import logging
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.data_classes import KafkaEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from confluent_kafka import KafkaError, Message

from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.lambda_runtime import (
    BatchNotDelivered,
    BatchResult,
    producer,
    record_headers,
)
from exercises.ex01_kafka_transform.solution.transform import (
    TRANSFORM_FAILED,
    Source,
    TransformError,
    dead_letter_headers,
    uppercase,
)

log = logging.getLogger("ex01.lambda")


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
