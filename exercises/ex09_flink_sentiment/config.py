"""Exercise 9's settings, from EX09_* environment variables (Kafka's endpoint from KAFKA_BOOTSTRAP_SERVERS).

Standard library only: this module is imported both by the main environment (tests, producer, run)
and by the Flink job in its own environment (`.parts/flink-venv`), which has no pydantic.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

PREFIX = "EX09_"


@dataclass(frozen=True)
class JobSettings:
    """Where the job reads and writes, and its event-time and checkpoint knobs."""

    bootstrap_servers: str = "127.0.0.1:9092"
    tweets_topic: str = "tweets"
    scored_topic: str = "scored"
    aggregates_topic: str = "aggregates"
    dead_letter_topic: str = "dead-letter"
    group_id: str = "ex09-flink"
    window_s: int = 60
    """Tumbling event-time window per hashtag."""
    out_of_orderness_s: int = 5
    """How far behind the newest event time a tweet may arrive and still count (the watermark's bound)."""
    checkpoint_ms: int = 500
    transactional_id_prefix: str = "ex09"
    transaction_timeout_ms: int = 60_000
    """Must stay under the broker's transaction.max.timeout.ms (15 min by default); Flink's own default
    (1 h) is refused by a default broker."""
    parallelism: int = 1
    bounded: bool = False
    """Stop at the topic's end offsets seen at start (bench, `bootcamp run`) instead of running forever."""
    checkpoint_dir: str = ""
    aggregates_dir: str = ""
    """Where the file sink writes the window aggregates (JSON lines); empty: no file sink."""
    fault_file: str = ""
    """Test hook: while this file exists, the provided fault operator fails the job once."""
    fault_after: int = 50

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> JobSettings:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        if env.get("KAFKA_BOOTSTRAP_SERVERS"):
            values["bootstrap_servers"] = env["KAFKA_BOOTSTRAP_SERVERS"]
        for field in fields(cls):
            raw = env.get(PREFIX + field.name.upper())
            if raw is None:
                continue
            kind = type(getattr(cls(), field.name))
            values[field.name] = raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def named(cls, bootstrap_servers: str, prefix: str, **overrides: object) -> JobSettings:
        """Settings whose topics, consumer group and transactional ids all carry `prefix`: a run's,
        a bench point's or a test's own names, so that runs never read each other's records."""
        names: dict[str, object] = {
            "tweets_topic": f"{prefix}.tweets",
            "scored_topic": f"{prefix}.scored",
            "aggregates_topic": f"{prefix}.aggregates",
            "dead_letter_topic": f"{prefix}.dead-letter",
            "group_id": prefix,
            "transactional_id_prefix": prefix,
        }
        return cls(bootstrap_servers=bootstrap_servers, **{**names, **overrides})  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The same settings as environment variables, for the job's child process."""
        out = {PREFIX + name.upper(): str(value) for name, value in asdict(self).items()}
        out["KAFKA_BOOTSTRAP_SERVERS"] = self.bootstrap_servers
        return out

    def topics(self) -> list[str]:
        return [self.tweets_topic, self.scored_topic, self.aggregates_topic, self.dead_letter_topic]


EXERCISE_DIR = Path(__file__).resolve().parent
