"""The Dataflow artifacts, checked offline: the template's parameters are the pipeline's options, the
image installs what uv.lock pins and runs a file that exists, and the launch script is valid bash."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from bootcamp.paths import REPO_ROOT
from bootcamp.testing.deploy import locked_versions
from exercises.ex10_anomaly_detection import main

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "dataflow"


def test_template_parameters_are_pipeline_options() -> None:
    metadata = json.loads((DEPLOY / "metadata.json").read_text())
    assert metadata["name"]
    assert metadata["description"]
    options = {a.dest for a in main.parser()._actions if a.dest != "help"}
    names = [p["name"] for p in metadata["parameters"]]
    assert set(names) <= options, f"template parameters the pipeline does not take: {set(names) - options}"
    for parameter in metadata["parameters"]:
        assert parameter["label"]
        assert parameter["helpText"]


def test_template_parameters_parse_as_the_launch_script_passes_them() -> None:
    known, beam_args = main.parser().parse_known_args([
        "--keyspace=ex10", "--detectors=shesd,lof", "--splits=64",
        "--worker_env=CASSANDRA_CONTACT_POINTS=a.example:9142,b.example:9142;CASSANDRA_LOCAL_DC=us-east-1",
        "--secret_env=INFLUXDB_TOKEN=projects/p/secrets/t/versions/latest",
        "--runner=DataflowRunner", "--sdk_container_image=img"])
    assert known.worker_env == [("CASSANDRA_CONTACT_POINTS", "a.example:9142,b.example:9142"),
                                ("CASSANDRA_LOCAL_DC", "us-east-1")]
    assert known.secret_env == [("INFLUXDB_TOKEN", "projects/p/secrets/t/versions/latest")]
    assert beam_args == ["--runner=DataflowRunner", "--sdk_container_image=img"]


def test_requirements_match_the_lock() -> None:
    locked = locked_versions()
    for raw in (DEPLOY / "requirements.txt").read_text().splitlines():
        line = raw.split("#")[0].strip()
        if not line:
            continue
        pinned = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]+\])?==(\S+)", line)
        assert pinned is not None, f"not pinned: {line}"
        name, version = pinned.groups()
        have = locked.get(name.lower())
        assert have == version, f"{name}=={version} but uv.lock has {have}"


def test_dockerfile_uses_the_locked_beam_and_runs_files_that_exist() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    beam = re.search(r"apache/beam_python3\.11_sdk:(\S+)", text)
    assert beam is not None
    assert beam.group(1) == locked_versions()["apache-beam"]
    py_file = re.search(r"FLEX_TEMPLATE_PYTHON_PY_FILE=/template/(\S+)", text)
    assert py_file is not None
    assert (REPO_ROOT / py_file.group(1)).is_file()
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (REPO_ROOT / source).exists(), f"COPY source {source} does not exist"


def test_launch_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(DEPLOY / "launch.sh")], check=True)
