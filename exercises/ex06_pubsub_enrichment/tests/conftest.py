from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from exercises.ex06_pubsub_enrichment.harness import ApiProcess, Resources, unique_resources


@pytest.fixture(scope="session")
def pubsub(local_service: Callable[[str], str]) -> str:
    """The Pub/Sub emulator's host:port (also exported as PUBSUB_EMULATOR_HOST)."""
    return local_service("pubsub")


@pytest.fixture
def resources(pubsub: str) -> Iterator[Resources]:
    created = unique_resources("t06")
    yield created
    created.delete()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, impl_name: str) -> Iterator[ApiProcess]:
    """The graded implementation's Bookstore API as a real uvicorn process."""
    log = Path(tmp_path_factory.mktemp("api")) / "api.log"
    process = ApiProcess(impl=impl_name, log=log).start()
    yield process
    process.kill()
