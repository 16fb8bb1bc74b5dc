"""One fake per session for the generated organisation, one for the hand-made one; each test starts
with no faults and an empty request log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from exercises.ex14_developer_productivity import fake, generator
from exercises.ex14_developer_productivity.tests import handmade


@pytest.fixture(scope="session")
def world() -> generator.World:
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    return generator.generate(14, "small")


@pytest.fixture(scope="session")
def served(world: generator.World) -> Iterator[tuple[fake.Endpoints, fake.Control]]:
    with fake.serve(world) as running:
        yield running


@pytest.fixture
def api(served: tuple[fake.Endpoints, fake.Control]) -> Iterator[tuple[fake.Endpoints, fake.Control]]:
    served[1].reset()
    yield served
    served[1].reset()


@pytest.fixture(scope="session")
def handmade_served() -> Iterator[tuple[fake.Endpoints, fake.Control]]:
    with fake.serve(handmade.world()) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def offline(world: generator.World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generator.write_offline(world, tmp_path_factory.mktemp("ex14-offline"))
