"""Fixtures the platform's own tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bootcamp.services.base import free_port
from bootcamp.services.kafka import KafkaService


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KafkaService]:
    """A Kafka broker of this test's own: its own state directory (so its own storage) and port,
    whatever else is running."""
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("BOOTCAMP_KAFKA_PORT", str(free_port()))
    service = KafkaService()
    yield service
    service.stop()
