"""Beam's Java job servers (Flink, Spark) failing: one `error:` line naming the runner, its log file and
the version pair, never a hang. Provided code (`portable.py`), so these grade nothing the learner writes.

The jars themselves are not needed for this: a wrong jar is made here. (Where Maven Central serves the
job servers, set-up resolves them and `bootcamp run ex11` runs both runners; see the README.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bootcamp import parts
from bootcamp.paths import REPO_ROOT
from exercises.ex11_beam_runners import portable


def a_jar_without_a_main(path: Path) -> Path:
    """A jar (a zip with a manifest) that Java refuses to run: the shape of a wrong download."""
    with zipfile.ZipFile(path, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        jar.writestr("README.txt", "not a job server\n")
    return path


@pytest.mark.parametrize(("runner", "runner_class", "artifact"), [
    ("flink", "FlinkRunner", "beam-runners-flink-1.20-job-server"),
    ("spark", "SparkRunner", "beam-runners-spark-3-job-server"),
])
def test_a_wrong_jar_is_one_error_line(runner: str, runner_class: str, artifact: str, logs: Path,
                                       tmp_path: Path) -> None:
    jar = a_jar_without_a_main(tmp_path / "wrong.jar")
    state = tmp_path / "state"
    # The job server fails before any pipeline is built: nobody's code runs, so the solution is named.
    env = {k: v for k, v in os.environ.items() if k != "BOOTCAMP_IMPL"}
    done = subprocess.run(
        [sys.executable, "-m", "exercises.ex11_beam_runners.run", "--runner", runner, "--job-server-jar",
         str(jar), "--impl", "solution", "--input", str(logs), "--output", str(tmp_path / "out"), "--db",
         str(tmp_path / "db")],
        cwd=REPO_ROOT, env={**env, "BOOTCAMP_STATE_DIR": str(state)}, capture_output=True, text=True,
        timeout=120, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {runner_class}: its job server"), done.stderr
    log = state / "ex11" / f"{runner}-job-server.log"
    assert f"log: {log};" in lines[0], "the error names the job server's log file"
    assert f"apache-beam {portable.BEAM_VERSION} (Python SDK) with {artifact} " in lines[0], \
        "the error names the version pair"
    assert "no main manifest attribute" in log.read_text(), "the log holds Java's own reason"
    assert not (tmp_path / "out" / "stats").exists(), "nothing ran"


def test_a_job_server_that_never_listens_is_stopped_at_its_deadline(tmp_path: Path) -> None:
    """A jar that runs but never opens its port (a wrong main class, a server stuck starting)."""
    javac, jar_tool = shutil.which("javac"), shutil.which("jar")
    assert javac, "the JDK's javac (Debian openjdk-17-jdk-headless, in apt-packages.txt)"
    assert jar_tool, "the JDK's jar (Debian openjdk-17-jdk-headless, in apt-packages.txt)"
    (tmp_path / "Stuck.java").write_text("public class Stuck { public static void main(String[] a) "
                                         "throws Exception { Thread.sleep(600000); } }")
    subprocess.run([javac, "-d", str(tmp_path), str(tmp_path / "Stuck.java")], check=True, timeout=120)
    jar = tmp_path / "stuck.jar"
    subprocess.run([jar_tool, "--create", "--file", str(jar), "--main-class", "Stuck", "-C", str(tmp_path),
                    "Stuck.class"], check=True, timeout=60)
    with pytest.raises(portable.RunnerFailed, match=r"^FlinkRunner: its job server .* did not open its port "
                                                    r"within 3 s; log: .*; versions: apache-beam "), \
            portable.job_server("flink", str(jar), timeout=3):
        pass
    stuck = subprocess.run(["pgrep", "-f", str(jar)], capture_output=True, text=True, check=False)
    assert not stuck.stdout.strip(), "the stuck job server was left running"


def test_an_unresolved_job_server_names_the_part_and_the_command(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "PARTS_DIR", tmp_path)  # a fresh clone: nothing resolved
    assert portable.available() == []
    with pytest.raises(ValueError, match=r"the SparkRunner needs its job server "
                                         r"org\.apache\.beam:beam-runners-spark-3-job-server:2\.77\.0: "
                                         r"not resolved; bash scripts/setup\.sh"), \
            portable.job_server("spark"):
        pass
