"""The `bootcamp` command as a user meets it: one clear line for mistakes, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bootcamp.exercises import CATALOG, exercise_folders
from bootcamp.paths import REPO_ROOT


def bootcamp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bootcamp.cli", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


# An exercise of the curriculum that is not built yet (while there is one: the list shrinks as they are).
UNBUILT = [(["bench", ex], f"{ex} ({CATALOG[ex]}) is not built yet") for ex in CATALOG
           if ex not in exercise_folders()][:1]
UNBUILT += [(["check", args[1]], message) for args, message in UNBUILT]


@pytest.mark.parametrize(("args", "message"), [
    (["run", "ex99"], "there is no exercise ex99"),
    (["run", "kafka"], "'kafka' is not an exercise id"),
    (["up", "zookeeper"], "unknown service 'zookeeper'"),
    (["watch", "ex99"], "there is no exercise ex99"),
    (["hint", "kafka"], "'kafka' is not an exercise id"),
    *UNBUILT,
])
def test_user_mistakes_get_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = bootcamp(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().startswith("error:")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_shows_all_sixteen_and_which_are_built() -> None:
    result = bootcamp("list")
    assert result.returncode == 0
    for exercise_id in CATALOG:
        assert exercise_id in result.stdout
    assert result.stdout.count("built") == len(exercise_folders())


def test_doctor_finds_everything_on_a_set_up_machine() -> None:
    result = bootcamp("doctor")
    assert result.returncode == 0, result.stdout
    for part in ("Apache Kafka broker", "Maven", "Go 1.26", "Lambda Runtime Interface Emulator",
                 "Beam's Prism runner", "Beam's Flink 1.20 job server", "Beam's Spark 3 job server",
                 "Beam's Samza job server"):
        assert part in result.stdout, part


def test_doctor_names_missing_java_and_the_command_that_gets_it(tmp_path: Path) -> None:
    """With no `java` on PATH (but everything else), doctor says so and exits 1, without a traceback."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("uv",):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin/nonexistent"}
    result = subprocess.run([sys.executable, "-m", "bootcamp.cli", "doctor"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "Java 17+" in result.stdout
    assert "apt-get install -y openjdk-17-jre-headless" in result.stdout


@pytest.mark.slow
@pytest.mark.integration
def test_run_reports_its_result_as_json_for_run_all(tmp_path: Path) -> None:
    """`run all` runs each exercise in its own interpreter and reads back this report."""
    report = tmp_path / "result.json"
    result = bootcamp("run", "ex01", "--quick", "--result-json", str(report))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["ok"] is True
    assert data["figures"]["in"] == "2000"
    assert int(data["figures"]["out"]) + int(data["figures"]["dead-lettered"]) == 2000
    assert data["seconds"] > 0
