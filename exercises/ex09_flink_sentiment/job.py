"""Run Exercise 9's Flink job: `python -m exercises.ex09_flink_sentiment.job --impl solution|starter`.

Provided. It must run under the Flink environment's interpreter (`.parts/flink-venv/bin/python`); the
main environment starts it as a child (see `flinkjob.py`). It checks the learner's plain functions
first (a stub fails here in a second, not deep inside a Python worker), builds the Flink
configuration from `pipeline.job_configuration`, adds the Kafka connector jar, reads `tweets` with a
KafkaSource (no watermarks there: they are assigned after parsing, from `created_at`), inserts the
test fault when asked, lets `pipeline.build` add the rest, and executes on the MiniCluster (local
execution), or on a cluster when started by `flink run`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

from exercises.ex09_flink_sentiment.config import JobSettings

ON_CLASSPATH = "on-classpath"
SAMPLE = '{"id": "1", "text": "I love it", "created_at": "2026-01-01T00:00:00.000Z"}'


def fail(message: str, code: int = 2) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def preflight(package: str) -> ModuleType:
    """Import the learner's modules and call each plain function once."""
    parse = importlib.import_module(f"{package}.parse")
    scoring = importlib.import_module(f"{package}.scoring")
    aggregate = importlib.import_module(f"{package}.aggregate")
    pipeline = importlib.import_module(f"{package}.pipeline")
    try:
        parse.parse_tweet(SAMPLE)
        scoring.score("I love it")
        aggregate.result(aggregate.add(aggregate.create(), "1", 0.5, "positive"))
        pipeline.job_configuration(JobSettings())
    except NotImplementedError as exc:
        fail(f"NotImplementedError: not implemented yet: {exc}", 3)
    return pipeline


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", choices=("solution", "starter"), default="solution")
    args = parser.parse_args(argv)
    settings = JobSettings.from_env()
    pipeline = preflight(f"exercises.ex09_flink_sentiment.{args.impl}")
    options = pipeline.job_configuration(settings)
    if not options.get("execution.checkpointing.interval"):
        fail(
            "checkpointing is off (no execution.checkpointing.interval): the exactly-once Kafka sinks "
            "commit only on checkpoints, and a restart would start from scratch"
        )

    from pyflink.common import Configuration, Types, WatermarkStrategy
    from pyflink.common.serialization import SimpleStringSchema
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.kafka import KafkaOffsetsInitializer, KafkaSource

    conf = Configuration()
    for key, value in options.items():
        conf.set_string(key, value)
    if settings.checkpoint_dir:
        conf.set_string("execution.checkpointing.dir", Path(settings.checkpoint_dir).resolve().as_uri())
        conf.set_string("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    if os.environ.get("EX09_IO_TMP_DIR"):  # flinkjob.start_job: Flink's scratch files, removed after
        conf.set_string("io.tmp.dirs", os.environ["EX09_IO_TMP_DIR"])
    conf.set_string("python.fn-execution.bundle.size", os.environ.get("EX09_BUNDLE_SIZE", "1000"))
    conf.set_string("python.fn-execution.bundle.time", os.environ.get("EX09_BUNDLE_TIME_MS", "200"))
    conf.set_string("python.executable", sys.executable)
    conf.set_string("python.client.executable", sys.executable)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    jar = os.environ.get("EX09_CONNECTOR_JAR", "")
    if jar != ON_CLASSPATH:  # a managed service (deploy/msf) puts the jar on the classpath itself
        if not jar or not Path(jar).is_file():
            fail(
                "the Flink Kafka connector jar is not resolved (EX09_CONNECTOR_JAR); "
                "run: bash scripts/setup.sh"
            )
        env.add_jars(Path(jar).as_uri())
    env.set_parallelism(settings.parallelism)

    builder = (
        KafkaSource.builder()
        .set_bootstrap_servers(settings.bootstrap_servers)
        .set_topics(settings.tweets_topic)
        .set_group_id(settings.group_id)
        .set_starting_offsets(KafkaOffsetsInitializer.earliest())
        .set_value_only_deserializer(SimpleStringSchema())
    )
    if settings.bounded:
        builder = builder.set_bounded(KafkaOffsetsInitializer.latest())
    raw = env.from_source(builder.build(), WatermarkStrategy.no_watermarks(), "tweets")
    if settings.fault_file:
        from exercises.ex09_flink_sentiment.faults import FailOnce

        raw = raw.map(
            FailOnce(settings.fault_file, settings.fault_after, settings.checkpoint_dir),
            output_type=Types.STRING(),
        ).name("fault")
    pipeline.build(raw, settings)
    print("ex09 job: submitted", flush=True)
    env.execute("ex09-sentiment")
    print("ex09 job: finished", flush=True)


if __name__ == "__main__":
    main()
