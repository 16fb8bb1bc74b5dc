"""The Lambda function: enrich a batch of order events from Kinesis and write them to the output stream.

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

import base64
import json
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from exercises.ex04_kinesis_lambda.catalog import load_catalog
from exercises.ex04_kinesis_lambda.config import FunctionSettings
from exercises.ex04_kinesis_lambda.runtime import DeliveryFailed, kinesis_client, processor, source_of

from .enrich import BadRecord, enrich
from .put_records import put_records


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = FunctionSettings.from_env()
    catalog = load_catalog()
    outputs: list[tuple[str, dict[str, Any]]] = []   # (source sequence number, PutRecords entry)
    dead: list[tuple[str, dict[str, Any]]] = []
    for raw in event["Records"]:
        record = KinesisStreamRecord(raw)
        sequence_number = record.kinesis.sequence_number
        data = record.kinesis.data_as_bytes()
        key = record.kinesis.partition_key
        try:
            enriched = enrich(data, catalog)
        except BadRecord as exc:
            letter = {"reason": exc.reason, "data": base64.b64encode(data).decode(), "partitionKey": key,
                      "source": source_of(record)}
            dead.append((sequence_number, {"Data": json.dumps(letter).encode(), "PartitionKey": key}))
            continue
        enriched["source"] = source_of(record)
        outputs.append((sequence_number, {"Data": json.dumps(enriched).encode(), "PartitionKey": key}))

    undelivered: set[str] = set()
    for stream, pairs in ((settings.output_stream, outputs), (settings.dead_letter_stream, dead)):
        if not pairs:
            continue
        refused = put_records(kinesis_client(), stream, [entry for _, entry in pairs],
                              attempts=settings.put_attempts, base_delay_s=settings.put_base_delay_s)
        undelivered.update(pairs[i][0] for i in refused)
    counts = {"records": len(event["Records"]),
              "enriched": sum(1 for s, _ in outputs if s not in undelivered),
              "deadLettered": sum(1 for s, _ in dead if s not in undelivered),
              "undelivered": len(undelivered)}
    print(json.dumps(counts))  # one log line per invocation: CloudWatch Logs Insights can sum them
    if undelivered and not settings.report_failures:
        raise DeliveryFailed(f"{len(undelivered)} records not written after {settings.put_attempts} attempts")

    def record_handler(record: KinesisStreamRecord) -> None:
        if record.kinesis.sequence_number in undelivered:
            raise DeliveryFailed(f"record {record.kinesis.sequence_number} not written after "
                                 f"{settings.put_attempts} attempts")

    return dict(process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                         context=context))
