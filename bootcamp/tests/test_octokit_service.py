"""The `octokit` service against the real @octokit/fixtures-server: lifecycle, loopback only, and the
replay rules Exercise 14's tests rely on (recorded requests only, each once, links rewritten here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bootcamp.errors import BootcampError
from bootcamp.services import all_services
from bootcamp.services.base import free_port, pid_alive
from bootcamp.services.octokit import RECORDED_HEADERS, OctokitFixturesService, load_scenario, scenarios
from bootcamp.tests.test_kinesis_service import listening_addresses

pytestmark = pytest.mark.integration


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OctokitFixturesService]:
    """A fixtures server with its own state directory and port, whatever else is running."""
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("OCTOKIT_FIXTURES_URL", raising=False)
    monkeypatch.setenv("BOOTCAMP_OCTOKIT_PORT", str(free_port()))
    service = OctokitFixturesService()
    yield service
    service.stop()


def test_octokit_is_discovered_with_its_scenarios() -> None:
    assert "octokit" in all_services()
    assert {"paginate-issues", "branch-protection", "get-root"} <= set(scenarios())


def test_start_reuse_loopback_only_replay_and_stop_by_group(isolated: OctokitFixturesService) -> None:
    endpoint = isolated.start()
    port = int(endpoint.rsplit(":", 1)[1])
    assert endpoint == f"http://127.0.0.1:{port}"
    assert listening_addresses(port) == {"0100007F"}, "listens on 127.0.0.1 only"
    pid = isolated.status().pid
    assert pid is not None
    assert isolated.start() == endpoint, "a running server is reused"
    assert isolated.status().pid == pid

    with httpx.Client(headers=RECORDED_HEADERS, timeout=5) as http:
        base = load_scenario(endpoint, "paginate-issues", http)
        first = http.get(f"{base}/repos/octokit-fixture-org/paginate-issues/issues", params={"per_page": 3})
        assert first.status_code == 200
        assert first.links["next"]["url"] == f"{base}/repositories/1000/issues?per_page=3&page=2", \
            "the recorded Link is rewritten to point back at this server"
        again = http.get(f"{base}/repos/octokit-fixture-org/paginate-issues/issues", params={"per_page": 3})
        assert again.status_code == 404, "each recorded answer is given once"
        other_media = http.get(first.links["next"]["url"], headers={"Accept": "application/vnd.github+json"})
        assert other_media.status_code == 404
        assert other_media.json()["error"] == "Nock: No match for request", "only the recorded headers match"

    with pytest.raises(BootcampError, match="refused scenario 'no-such-scenario'"):
        load_scenario(endpoint, "no-such-scenario")

    assert isolated.stop() is True
    assert not pid_alive(pid)
    assert isolated.status().state == "stopped"
