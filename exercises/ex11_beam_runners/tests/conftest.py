from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bootcamp.datasets.weblogs import write_csv


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 seeded access-log lines, 2% malformed."""
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    return write_csv(tmp_path_factory.mktemp("ex11") / "logs.csv", rows=2_000, seed=23, bad_fraction=0.02)
