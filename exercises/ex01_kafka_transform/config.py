"""Exercise 1 settings, from the environment (prefix `EX01_`), shared by every script.

Connection settings (`KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`, ...) are the platform's,
in `bootcamp.settings.KafkaSettings`; these are what this exercise adds on top.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TransformerSettings(BaseSettings):
    """Topics, group and tuning knobs of the transformer (defaults measured in the README's Tune it)."""

    model_config = SettingsConfigDict(env_prefix="EX01_", extra="ignore")

    input_topic: str = "ex01.input"
    output_topic: str = "ex01.output"
    dead_letter_topic: str = "ex01.dead-letter"
    group_id: str = "ex01-transformer"
    partitions: int = Field(3, ge=1, description="partitions for topics this exercise creates")
    create_topics: bool = Field(True, description="create missing topics at start (off where the "
                                "platform owns topic creation, as on Event Hubs)")
    max_value_bytes: int = Field(64 * 1024, ge=1, description="larger values go to the dead-letter topic")
    batch_size: int = Field(500, ge=1, description="records consumed, produced and committed together")
    batch_timeout_s: float = Field(0.1, gt=0, description="longest wait to fill a batch")
    linger_ms: float = Field(5, ge=0, description="producer linger: wait to fill produce requests")
    compression: str = Field("lz4", description="producer compression codec")
    flush_timeout_s: float = Field(30, gt=0, description="longest wait for a batch's delivery reports")
    stats_interval_s: float = Field(5, gt=0, description="how often counters and rate are logged")

    def topics(self) -> list[str]:
        return [self.input_topic, self.output_topic, self.dead_letter_topic]
