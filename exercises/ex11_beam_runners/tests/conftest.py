from __future__ import annotations

import logging
import urllib.request
from pathlib import Path

import pytest
from apache_beam.runners.portability import artifact_service, prism_runner
from apache_beam.utils import subprocess_server

from bootcamp.datasets.weblogs import write_csv


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 seeded access-log lines, 2% malformed."""
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    return write_csv(tmp_path_factory.mktemp("ex11") / "logs.csv", rows=2_000, seed=23, bad_fraction=0.02)


@pytest.fixture
def no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any URL a pipeline opens fails the test: Beam fetches Prism (GitHub releases), job-server jars
    (Maven Central) and artifacts through these `urlopen`s; every runner here must run from local parts."""
    def refuse(url: object, *args: object, **kwargs: object) -> None:
        target = getattr(url, "full_url", url)
        raise AssertionError(f"a pipeline tried to download {target}: every runner must use the project's "
                             "own parts (--prism_location, a resolved job-server jar), never a download")

    for module in (urllib.request, prism_runner, subprocess_server, artifact_service):
        monkeypatch.setattr(module, "urlopen", refuse)
