"""A local standalone Flink cluster: one JobManager and one TaskManager from the PyFlink distribution.

`apache-flink` on PyPI ships the whole runtime (`pyflink/bin/jobmanager.sh`, `taskmanager.sh`,
`flink`, `pyflink/lib/flink-dist-*.jar`); Exercise 9's environment (`.parts/flink-venv`, from
`exercises/ex09_flink_sentiment/flink-env/uv.lock`) installs it. The two daemons run in the foreground
under one shell (one process group: `stop` ends both), with the project's own configuration in
`.bootcamp/flink/conf` (written at each start: loopback only, the REST port chosen here, two task
slots, small memory), and logs under `.bootcamp/flink/log`. The endpoint is the REST address that
`flink run -m` and the web UI use; health is a real `GET /overview` that shows a registered
TaskManager. Python UDF workers on the TaskManager run the job's `python.executable`.

`FLINK_REST_URL` names an external cluster instead (then nothing is started).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import ClassVar

from bootcamp import requirements
from bootcamp.parts import PARTS_DIR
from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import LOCALHOST, Requirement, Service, free_port

FLINK_VENV = PARTS_DIR / "flink-venv"


def flink_home() -> Path | None:
    """The PyFlink distribution (FLINK_HOME) inside the Flink environment, if installed."""
    found = sorted(FLINK_VENV.glob("lib/python3*/site-packages/pyflink"))
    return found[0] if found and (found[0] / "bin" / "jobmanager.sh").is_file() else None


def config_yaml(rest_port: int, rpc_port: int, home: Path) -> str:
    """Flink 2's config.yaml (standard YAML, flattened keys are accepted)."""
    return "\n".join(
        [
            "# Written by bootcamp at each start (bootcamp/services/flink.py); edits here are overwritten.",
            f"jobmanager.rpc.address: {LOCALHOST}",
            f"jobmanager.rpc.port: {rpc_port}",
            f"jobmanager.bind-host: {LOCALHOST}",
            "jobmanager.memory.process.size: 1024m",
            f"taskmanager.bind-host: {LOCALHOST}",
            f"taskmanager.host: {LOCALHOST}",
            "taskmanager.numberOfTaskSlots: 2",
            "taskmanager.memory.process.size: 1728m",
            f"rest.address: {LOCALHOST}",
            f"rest.bind-address: {LOCALHOST}",
            f"rest.port: {rest_port}",
            "parallelism.default: 1",
            f"execution.checkpointing.dir: {(home / 'checkpoints').as_uri()}",
            f"io.tmp.dirs: {home / 'tmp'}",
            f"env.log.dir: {home / 'log'}",
            "",
        ]
    )


class FlinkService(Service):
    name: ClassVar[str] = "flink"
    description: ClassVar[str] = "Apache Flink standalone cluster (JobManager + TaskManager from PyFlink)"
    endpoint_env: ClassVar[str] = "FLINK_REST_URL"
    default_port: ClassVar[int] = 8081
    port_env: ClassVar[str | None] = "BOOTCAMP_FLINK_PORT"
    start_timeout_s: ClassVar[float] = 120.0

    def requirements(self) -> list[Requirement]:
        return [
            requirements.java(17),
            Requirement(
                "PyFlink's distribution (.parts/flink-venv, Exercise 9's environment)",
                flink_home() is not None,
                "bash scripts/setup.sh",
            ),
        ]

    def endpoint_for(self, port: int) -> str:
        return f"http://{LOCALHOST}:{port}"

    def extra_env(self) -> dict[str, str]:
        home = flink_home()
        return {
            "FLINK_CONF_DIR": str(self.home / "conf"),
            "FLINK_LOG_DIR": str(self.home / "log"),
            "FLINK_HOME": str(home or ""),
            "PYTHONPATH": str(REPO_ROOT),
        }

    def command(self, port: int, data_dir: Path) -> list[str]:
        home = flink_home()
        assert home is not None, "requirements() guards this"
        conf = self.home / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        for name in ("log4j-console.properties", "log4j.properties", "logback-console.xml"):
            shutil.copy2(home / "conf" / name, conf / name)
        (conf / "config.yaml").write_text(config_yaml(port, free_port(), self.home))
        for folder in ("log", "tmp", "checkpoints"):
            (self.home / folder).mkdir(parents=True, exist_ok=True)
        bin_dir = home / "bin"
        script = (
            f'"{bin_dir}/taskmanager.sh" start-foreground & "{bin_dir}/jobmanager.sh" start-foreground & wait'
        )
        return ["bash", "-c", script]

    def is_healthy(self, endpoint: str) -> bool:
        try:
            with urllib.request.urlopen(f"{endpoint}/overview", timeout=2) as response:  # noqa: S310  # loopback
                overview = json.loads(response.read())
        except (OSError, ValueError):
            return False
        return int(overview.get("taskmanagers", 0)) >= 1 and int(overview.get("slots-total", 0)) >= 1
