"""The cloud artifacts, checked offline: manifests parse and name only settings the app reads, the
image copies files that exist and runs a module that imports, pins match what the tests ran.

They live beside the artifacts, not in `tests/`: they check the deployment, not the learner's code,
so `make test` runs them and `bootcamp check ex08` (which grades the starter) does not."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ...config import Settings

DEPLOY = Path(__file__).resolve().parent.parent
EXERCISE = DEPLOY.parent
REPO = EXERCISE.parent.parent


def containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    spec = manifest["spec"]["template"]["spec"]
    if "template" in spec:  # a Job: template.spec.template.spec
        spec = spec["template"]["spec"]
    found: list[dict[str, Any]] = spec["containers"]
    return found


def known_env_names() -> set[str]:
    names = {f"AUCTION_{name.upper()}" for name in Settings.model_fields}
    return names | {"DATABASE_URL"}


@pytest.mark.parametrize("name", ["service.yaml", "migrate-job.yaml"])
def test_manifests_set_only_settings_the_app_reads_and_take_the_database_from_a_secret(name: str) -> None:
    manifest = yaml.safe_load((DEPLOY / name).read_text())
    (container,) = containers(manifest)
    env = {item["name"]: item for item in container["env"]}
    assert set(env) <= known_env_names(), set(env) - known_env_names()
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "auctions-database-url"
    annotations = manifest["spec"]["template"]["metadata"]["annotations"]
    assert "run.googleapis.com/cloudsql-instances" in annotations


def test_the_service_keeps_cpu_and_one_warm_instance_for_listen_and_the_closer() -> None:
    manifest = yaml.safe_load((DEPLOY / "service.yaml").read_text())
    annotations = manifest["spec"]["template"]["metadata"]["annotations"]
    assert annotations["run.googleapis.com/cpu-throttling"] == "false"
    assert int(annotations["autoscaling.knative.dev/minScale"]) >= 1
    (container,) = containers(manifest)
    assert container["ports"][0]["containerPort"] == 8080
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["AUCTION_COOKIE_SECURE"] == "true"
    Settings(**{k.removeprefix("AUCTION_").lower(): v for k, v in env.items()
                if k.startswith("AUCTION_") and v is not None})  # the values validate


def test_the_image_copies_existing_files_and_runs_a_module_that_imports() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    joined = dockerfile.replace("\\\n", " ")
    for line in joined.splitlines():
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (REPO / source).exists(), source
    command = re.search(r'CMD \["python", "-m", "([\w.]+)"', dockerfile)
    assert command is not None
    importlib.import_module(command.group(1))
    assert "ENV HOST=0.0.0.0 PORT=8080" in dockerfile


def test_the_migration_job_runs_the_solutions_runner() -> None:
    manifest = yaml.safe_load((DEPLOY / "migrate-job.yaml").read_text())
    (container,) = containers(manifest)
    module = container["command"][-1]
    assert hasattr(importlib.import_module(module), "apply_migrations")


def test_pinned_requirements_are_the_versions_tested_here() -> None:
    for line in (DEPLOY / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert importlib.metadata.version(name.split("[")[0]) == version, name


def test_the_deploy_script_parses_and_the_page_config_is_same_origin() -> None:
    subprocess.run(["bash", "-n", str(DEPLOY / "deploy.sh")], check=True)
    template = (DEPLOY / "config.js.template").read_text()
    assert "${API_BASE}" in template
    assert "${WS_BASE}" in template
    assert 'apiBase: ""' in (EXERCISE / "static" / "config.js").read_text()
