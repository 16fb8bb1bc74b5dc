"""Start Exercise 9's Flink job from the main environment, as a child under the Flink environment.

The main environment never imports PyFlink (it pins Beam, pandas and pyarrow below the project's):
`scripts/setup.sh` builds `.parts/flink-venv` from `flink-env/uv.lock`, and the job runs there with
the MiniCluster, its Python workers started with the same interpreter (`python.executable`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bootcamp import parts
from bootcamp.errors import BootcampError
from bootcamp.paths import REPO_ROOT
from exercises.ex09_flink_sentiment.config import JobSettings

FLINK_VENV = parts.PARTS_DIR / "flink-venv"
CONNECTOR_PART = "flink-kafka-connector"


def flink_python() -> Path:
    python = FLINK_VENV / "bin" / "python"
    if not python.is_file():
        raise BootcampError(
            "the Flink environment is missing (.parts/flink-venv)", hint="bash scripts/setup.sh"
        )
    return python


def connector_jar() -> Path:
    part = parts.maven(CONNECTOR_PART)
    jar = part.jar()
    if jar is None:
        raise BootcampError(f"{part.what} is not resolved", hint=part.fix)
    return jar


PROCESS_MODE = {"_python_worker_execution_mode": "process"}
"""Python UDF workers as processes of their own, as on a cluster. On a MiniCluster PyFlink otherwise
runs them in "loopback" mode, inside the client's own Python process (`StreamExecutionEnvironment
._open` reads this variable; `process` is the cluster's mode and its only other value). Loopback
would hide the process boundary the bench measures, and a killed worker would take the client and
the MiniCluster with it instead of failing one task for Flink to restart."""


def job_env(settings: JobSettings, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        **PROCESS_MODE,
        **settings.to_env(),
        "EX09_CONNECTOR_JAR": str(connector_jar()),
        "PYTHONPATH": str(REPO_ROOT),
        **(extra or {}),
    }


_SCRATCH: dict[int, str] = {}
"""Each MiniCluster job's scratch directory (`io.tmp.dirs`), by the job's pid, for `stop_job`."""


def start_job(
    settings: JobSettings, impl: str, log_path: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The job as a child in its own session (so a kill takes the MiniCluster's JVM and workers too).

    Its Flink scratch files go to a directory of its own, which `stop_job` removes: by default they
    go to /tmp (among them a 21 MB copy of Flink's RPC jar at every start), and a killed JVM never
    deletes them."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="ex09-flink-")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(flink_python()), "-m", "exercises.ex09_flink_sentiment.job", "--impl", impl],
            cwd=REPO_ROOT,
            env=job_env(settings, {"EX09_IO_TMP_DIR": scratch, **(extra_env or {})}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _SCRATCH[process.pid] = scratch
    return process


def stop_job(process: subprocess.Popen[bytes]) -> None:
    """Kill the job's whole process group (driver, JVM, Python workers) and remove its scratch files."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
    process.wait(30)
    scratch = _SCRATCH.pop(process.pid, None)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def submit_job(settings: JobSettings, impl: str, log_path: Path, rest_url: str) -> subprocess.Popen[bytes]:
    """The job submitted to a standalone cluster with `flink run` (attached: it returns when the job
    ends). The client and the TaskManager's UDF workers both run the Flink environment's interpreter."""
    from urllib.parse import urlparse

    from bootcamp.services.flink import flink_home

    home = flink_home()
    if home is None:
        raise BootcampError(
            "PyFlink's distribution is missing (.parts/flink-venv)", hint="bash scripts/setup.sh"
        )
    where = urlparse(rest_url)
    python = str(flink_python())
    scratch = tempfile.mkdtemp(prefix="ex09-flink-run-")  # the client's scratch files, as in start_job
    argv = [
        str(home / "bin" / "flink"),
        "run",
        f"-Drest.address={where.hostname}",
        f"-Drest.port={where.port}",
        f"-Dio.tmp.dirs={scratch}",
        "-pyclientexec",
        python,
        "-pyexec",
        python,
        "-py",
        str(REPO_ROOT / "exercises" / "ex09_flink_sentiment" / "job.py"),
        "--impl",
        impl,
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env={**job_env(settings), "FLINK_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _SCRATCH[process.pid] = scratch
    return process


def running_jobs(rest_url: str) -> set[str]:
    """Ids of the jobs a standalone cluster runs now (`GET /jobs/overview`)."""
    import httpx

    jobs = httpx.get(f"{rest_url}/jobs/overview", timeout=5).raise_for_status().json().get("jobs", [])
    live = ("CREATED", "INITIALIZING", "RUNNING", "RESTARTING")
    return {job["jid"] for job in jobs if job.get("state") in live}


def cancel_jobs(rest_url: str, ids: set[str]) -> None:
    """Cancel these jobs (`PATCH /jobs/<id>?mode=cancel`): killing an attached `flink run` client ends
    the client, not the job it submitted, which would go on holding the cluster's slots."""
    import httpx

    for jid in sorted(ids):
        httpx.patch(f"{rest_url}/jobs/{jid}", params={"mode": "cancel"}, timeout=5).raise_for_status()
