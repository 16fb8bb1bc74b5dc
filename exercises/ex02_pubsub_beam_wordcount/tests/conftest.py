from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from exercises.ex02_pubsub_beam_wordcount.harness import Resources, unique_resources


@pytest.fixture(scope="session")
def pubsub(local_service: Callable[[str], str]) -> str:
    """The Pub/Sub emulator's host:port (also exported as PUBSUB_EMULATOR_HOST)."""
    return local_service("pubsub")


@pytest.fixture
def resources(pubsub: str) -> Iterator[Resources]:
    """Fresh input, output and dead-letter topics and subscriptions for one test."""
    created = unique_resources("t02")
    yield created
    created.delete()
