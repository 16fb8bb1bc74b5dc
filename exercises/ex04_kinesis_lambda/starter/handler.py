"""The Lambda function: enrich a batch of order events from Kinesis. YOUR TASK: `handler`.

One invocation gets one batch of one shard, in sequence-number order. The function:

1. turns each record into an output entry (the enriched order, keyed by the same customer id, with
   its source shard and sequence number so that a consumer can drop redelivered copies) or, for bad
   input, a dead-letter entry with the reason and the original bytes;
2. writes both lists with one PutRecords call each (retrying only refused entries);
3. reports, through Powertools' BatchProcessor, every record it could not write as a batch item
   failure, identified by its sequence number: the event source mapping then checkpoints just before
   the lowest one and delivers from there again. Nothing is dropped: a record is either written to the
   output, written to the dead-letter stream, or reported.

Writing per record (PutRecord inside the record handler) would cost one request per record; so the
writes are batched first and the processor's record handler only says which records failed.
"""

from __future__ import annotations

import base64  # noqa: F401  # yours to use
import json  # noqa: F401  # yours to use
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response  # noqa: F401  # yours to use
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (  # noqa: F401  # yours to use
    KinesisStreamRecord,
)

from exercises.ex04_kinesis_lambda.catalog import load_catalog  # noqa: F401  # yours to use
from exercises.ex04_kinesis_lambda.config import FunctionSettings  # noqa: F401  # yours to use
from exercises.ex04_kinesis_lambda.runtime import (  # noqa: F401  # yours to use
    DeliveryFailed,
    kinesis_client,
    processor,
    source_of,
)

from .enrich import BadRecord, enrich  # noqa: F401  # yours to use
from .put_records import put_records  # noqa: F401  # yours to use


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point (`Handler: exercises.ex04_kinesis_lambda.starter.handler.handler`).

    Read the settings (`FunctionSettings.from_env()`) and the catalogue (`load_catalog()`). For each
    record of `event["Records"]` (wrap it in KinesisStreamRecord): `enrich` its data and add
    `"source": source_of(record)`, as an entry for the output stream keyed by the record's partition
    key; or, on BadRecord, a dead-letter entry {reason, data (base64 of the original bytes),
    partitionKey, source} for the dead-letter stream. Write each list with one `put_records` call.
    Records whose entry was still refused are undelivered: with `settings.report_failures`, report
    them through `process_partial_response` (a record handler that raises DeliveryFailed for them, so
    the itemIdentifier is their sequence number); without it, raise DeliveryFailed.
    """
    raise NotImplementedError("handler.handler: enrich, write with put_records, report what failed")
