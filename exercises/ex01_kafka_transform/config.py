"""Exercise 1 settings, from the environment (prefix `EX01_`), shared by every script.

Connection settings (`KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`, ...) are the platform's,
in `bootcamp.settings.KafkaSettings`; these are what this exercise adds on top.
"""

from __future__ import annotations

import socket
from typing import Literal

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
    batch_timeout_s: float = Field(0.1, gt=0, description="longest wait to fill a batch (fill), or "
                                   "for a batch's first record (first)")
    batch_wait: Literal["fill", "first"] = Field(
        "fill", description="fill: `consume(batch_size, batch_timeout_s)`, which waits until the batch is "
        "full or the timeout passes; first: wait for one record, then take what the client has already "
        "fetched, up to batch_size, without waiting (the Java client's poll() semantics)")
    linger_ms: float = Field(5, ge=0, description="producer linger: wait to fill produce requests")
    compression: str = Field("lz4", description="producer compression codec")
    flush_timeout_s: float = Field(30, gt=0, description="longest wait for a batch's delivery reports")
    stats_interval_s: float = Field(5, gt=0, description="how often counters, rate and lag are logged")
    broker_timeout_s: float = Field(60, gt=0, description="longest time with every broker unreachable "
                                    "before the transformer exits 1 (it recovers if they come back sooner)")
    group_protocol: Literal["classic", "consumer"] = Field(
        "classic", description="`consumer` is KIP-848's protocol (Kafka 4 brokers): incremental, "
        "broker-side assignment")
    group_instance_id: str | None = Field(None, description="static membership: a stable id per "
                                          "instance; close() then sends no LeaveGroup")
    transactional_id: str | None = Field(None, description="exactly-once variant: one stable id per "
                                         "instance (default: <group>.<hostname>); two live instances "
                                         "with one id fence each other")
    max_aborts: int = Field(3, ge=1, description="exactly-once variant: consecutive aborted batches "
                            "before the transformer gives up and exits 1")

    def transaction_id(self) -> str:
        return self.transactional_id or f"{self.group_id}.{socket.gethostname()}"

    def topics(self) -> list[str]:
        return [self.input_topic, self.output_topic, self.dead_letter_topic]


class FaultSettings(BaseSettings):
    """Deterministic faults for the tests (prefix `EX01_FAULT_`), off by default.

    Counted in calls to `commit_transaction` (1 is the first batch): the runtime's producer pauses or
    fails there, so a test can SIGKILL a transformer at a known point of the protocol instead of
    hoping a kill lands there.
    """

    model_config = SettingsConfigDict(env_prefix="EX01_FAULT_", extra="ignore")

    pause_in_transaction_at: int = Field(0, ge=0, description="before this commit: flush the open "
                                         "transaction's records to the broker, log, and sleep")
    pause_after_commit_at: int = Field(0, ge=0, description="after this commit returns: log and sleep")
    abort_at: int = Field(0, ge=0, description="this commit raises an abortable error instead")
    pause_s: float = Field(600, gt=0)
