"""The Flink job's graph (PyFlink DataStream API): validate, score, window, and write exactly once.

Runs only in the Flink environment (`.parts/flink-venv`): import PyFlink inside the functions, so the
main environment can import this module without it.

    tweets (raw) --ParseAndScore--> scored (Kafka, transactional)
                        |--side output--> dead-letter (Kafka, transactional)
    scored --explode by hashtag--> event-time watermarks (bounded out-of-orderness)
           --key by hashtag--> tumbling window --aggregate--> aggregates (Kafka + files)
                                       |--late side output--> dead-letter ("late")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from exercises.ex09_flink_sentiment.config import JobSettings

if TYPE_CHECKING:
    from pyflink.common import WatermarkStrategy
    from pyflink.datastream import DataStream
    from pyflink.datastream.connectors.kafka import KafkaSink


def job_configuration(settings: JobSettings) -> dict[str, str]:
    """Flink options for this job: checkpoints (the exactly-once sinks commit on them) and restarts."""
    raise NotImplementedError("pipeline.job_configuration: checkpointing and a restart strategy")


def kafka_sink(settings: JobSettings, topic: str, name: str) -> KafkaSink:
    """A transactional Kafka sink for `topic` (JSON strings as values)."""
    raise NotImplementedError("pipeline.kafka_sink: an exactly-once KafkaSink")


def watermarks(settings: JobSettings) -> WatermarkStrategy:
    """Event time from `created_at` (field 3 of the exploded rows), bounded out-of-orderness."""
    raise NotImplementedError("pipeline.watermarks: a WatermarkStrategy with a timestamp assigner")


def build(raw: DataStream, settings: JobSettings) -> None:
    """The graph from the raw `tweets` stream (JSON strings) to the three sinks."""
    raise NotImplementedError("pipeline.build: parse, score, window and sink")
