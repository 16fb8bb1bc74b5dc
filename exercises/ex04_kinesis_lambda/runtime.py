"""What both implementations of the Lambda function share, provided: where a Kinesis record came from,
the warm Kinesis client, the batch processor and the error that reports an unwritten record.

It lives here, once, so that the learner's `handler.py` holds only the handler; the deployment package
(deploy/build.sh) carries it beside the implementation.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord
from botocore.config import Config

processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
_clients: dict[str, Any] = {}


class DeliveryFailed(RuntimeError):
    """The record's output could not be written: reported, so that the mapping delivers it again."""


def kinesis_client() -> Any:
    """One client per execution environment, created at the first invocation and kept warm."""
    if "kinesis" not in _clients:
        _clients["kinesis"] = boto3.client("kinesis", config=Config(retries={"mode": "standard",
                                                                            "max_attempts": 3}))
    return _clients["kinesis"]


def source_of(record: KinesisStreamRecord) -> dict[str, str]:
    """Where a record came from: its eventID is `shardId:sequenceNumber`, unique in the stream."""
    return {"eventID": record.event_id, "shardId": record.event_id.split(":", 1)[0],
            "sequenceNumber": record.kinesis.sequence_number}
