"""The cloud artifacts, run as the cloud would run them but locally: `deploy/stage.sh` builds the
self-contained source trees; the API runs with its container's command, the enricher answers Cloud
Run's probe on $PORT and stops cleanly on SIGTERM, and the Cloud Function publishes over HTTP."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from google.cloud import pubsub_v1

from bootcamp.pubsub.admin import pull_all
from bootcamp.services.base import free_port
from exercises.ex06_pubsub_enrichment.catalog import build_catalog
from exercises.ex06_pubsub_enrichment.harness import ApiProcess, Resources

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory, impl_name: str) -> Path:
    """The deploy trees, staged from the implementation under test (the learner's, under check)."""
    out = tmp_path_factory.mktemp("staged")
    subprocess.run(["bash", str(DEPLOY / "stage.sh"), str(out)], check=True, capture_output=True,
                   env={**os.environ, "IMPL": impl_name})
    return out


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the repository's own impl switch: a staged tree has only `solution`."""
    env = {k: v for k, v in os.environ.items() if k != "BOOTCAMP_IMPL"}
    return {**env, **extra}


def wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30,
              probe: dict[str, Any] | None = None) -> httpx.Response:
    """Wait until `url` answers (a GET, or a POST of `probe`); return that first answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}"
        try:
            if probe is None:
                return httpx.get(url, timeout=1)
            return httpx.post(url, json=probe, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def container_command(dockerfile: Path, port: int) -> list[str]:
    cmd = re.search(r"^CMD exec (.+)$", dockerfile.read_text(), flags=re.MULTILINE)
    assert cmd, "the Dockerfile's CMD runs one exec'd process"
    line = cmd.group(1).replace("${PORT:-8080}", str(port)).replace("0.0.0.0", "127.0.0.1")
    return shlex.split(line)


def test_api_runs_from_its_staged_tree_with_the_container_command(staged: Path) -> None:
    port = free_port()
    argv = container_command(staged / "api/Dockerfile", port)
    assert argv[0] == "uvicorn"
    app_yaml = yaml.safe_load((staged / "api/app.yaml").read_text())
    assert app_yaml["runtime"] == "python311"
    assert argv[1] in app_yaml["entrypoint"]  # App Engine serves the same ASGI app
    server = subprocess.Popen([sys.executable, "-m", *argv], cwd=staged / "api", env=clean_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", server)
        isbn = sorted(build_catalog())[42]
        response = httpx.get(f"http://127.0.0.1:{port}/books/{isbn}", timeout=5)
        if response.status_code == 500:
            server.terminate()
            errors = server.stderr.read().decode() if server.stderr else ""
            missing = [line for line in errors.splitlines() if "NotImplementedError" in line]
            if missing:
                raise NotImplementedError(missing[-1])
            raise AssertionError(f"500: {errors[-2000:]}")
        assert response.json() == build_catalog()[isbn].to_dict()
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.integration
def test_enricher_answers_probes_and_stops_on_sigterm(staged: Path, resources: Resources,
                                                      api: ApiProcess, tmp_path: Path) -> None:
    dockerfile = (staged / "enricher/Dockerfile").read_text()
    assert '"-m", "exercises.ex06_pubsub_enrichment.solution.enricher"' in dockerfile
    port = free_port()
    env = clean_env(**resources.enricher_env(api.url), PORT=str(port))
    log_path = tmp_path / "enricher.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "exercises.ex06_pubsub_enrichment.solution.enricher"],
            cwd=staged / "enricher", env=env, stdout=log, stderr=subprocess.STDOUT)

    def not_implemented() -> str | None:
        """The starter's stub, from the log: a stub raises in the callback and the process lives on."""
        text = log_path.read_text(errors="replace")
        lines = [ln for ln in text.splitlines() if "NotImplementedError" in ln]
        return lines[-1] if lines else None

    try:
        wait_http(f"http://127.0.0.1:{port}/", process)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text == "ok"
        # Enrich one real event through the staged code before stopping it.
        isbn = sorted(build_catalog())[7]
        event = json.dumps({"event_id": "e", "book_id": isbn}).encode()
        pubsub_v1.PublisherClient().publish(resources.topic("raw"), event).result(timeout=10)
        got: list[Any] = []
        deadline = time.monotonic() + 30
        while not got and time.monotonic() < deadline:
            if (missing := not_implemented()) is not None:
                raise NotImplementedError(missing)
            got = pull_all(resources.subscription("enriched-reader"), timeout_s=2)
        assert got, f"the staged enricher enriched nothing:\n{log_path.read_text(errors='replace')[-2000:]}"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert process.returncode == 0, log_path.read_text(errors="replace")[-2000:]


@pytest.mark.integration
def test_cloud_function_publishes_events_over_http(staged: Path, resources: Resources) -> None:
    port = free_port()
    env = clean_env(RAW_TOPIC=resources.topic("raw").rsplit("/", 1)[1], PUBSUB_PROJECT_ID=resources.project)
    server = subprocess.Popen(
        [sys.executable, "-m", "functions_framework", "--target=publish_events", "--source=main.py",
         "--host=127.0.0.1", f"--port={port}"],
        cwd=staged / "function", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Probe with a request it must refuse: a GET would run the function (and publish 100 events).
        assert wait_http(f"http://127.0.0.1:{port}/", server, probe={"count": -1}).status_code == 400
        response = httpx.post(f"http://127.0.0.1:{port}/", json={"count": 15}, timeout=30)
        if response.status_code != 200:
            server.terminate()
            errors = server.stderr.read().decode() if server.stderr else ""
            missing = [line for line in errors.splitlines() if "NotImplementedError" in line]
            if missing:
                raise NotImplementedError(missing[-1])
            raise AssertionError(f"{response.status_code}: {errors[-2000:]}")
        assert response.json() == {"published": 15, "topic": resources.topic("raw")}
        messages = pull_all(resources.subscription("raw-enricher"), timeout_s=5)
        assert len(messages) == 15
        catalog = build_catalog()
        assert all(json.loads(m.data)["book_id"] in catalog for m in messages)
    finally:
        server.terminate()
        server.wait(timeout=10)


