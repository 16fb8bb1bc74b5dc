"""A local Google Cloud Storage: `gcp-storage-emulator` (PyPI), speaking the GCS JSON API over HTTP.

Clients reach it by configuration alone: `google-cloud-storage` (and so Beam's `gs://` filesystem,
which is built on it since Beam 2.52) sends every request to `STORAGE_EMULATOR_HOST` when that is
set. Pointing `STORAGE_EMULATOR_HOST` at a real endpoint, or unsetting it, is the only change between
this emulator and Cloud Storage.

One wrinkle, measured here: Beam asks `google.auth.default()` for credentials before it builds its
storage client, and with none on the machine it retries with backoff for about 20 s before it falls
back to an anonymous client. `emulator_credentials_file()` writes an `authorized_user` credential
holding a non-expiring dummy token: `google.auth.default()` loads it without any network call, and the
emulator ignores the token. It is only used while `STORAGE_EMULATOR_HOST` is set and no
`GOOGLE_APPLICATION_CREDENTIALS` is given; against real GCS, your own ADC are used as usual.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import ClassVar

import httpx

from bootcamp.paths import service_dir
from bootcamp.services.base import LOCALHOST, Requirement, Service

EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


def emulator_binary() -> str | None:
    """The `gcp-storage-emulator` script of this environment, or None."""
    beside = Path(sys.executable).with_name("gcp-storage-emulator")
    return str(beside) if beside.is_file() else shutil.which("gcp-storage-emulator")


def emulator_credentials_file() -> Path:
    """A dummy `authorized_user` credential that google-auth loads offline (see the module doc)."""
    path = service_dir("gcs") / "emulator-credentials.json"
    if not path.is_file():
        path.write_text(json.dumps({
            "type": "authorized_user", "client_id": "local-emulator", "client_secret": "local-emulator",
            "refresh_token": "local-emulator", "token": "local-emulator", "expiry": "2999-01-01T00:00:00Z",
        }))
    return path


def use_emulator_credentials() -> bool:
    """When the emulator is in use and no credentials are configured, export the dummy ones.

    Returns True if it did. It changes this process's environment because Beam's GCS filesystem
    offers no way to hand it a storage client; worker processes inherit the variable.
    """
    if os.environ.get(EMULATOR_ENV) and not os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = str(emulator_credentials_file())
        return True
    return False


class GcsService(Service):
    name: ClassVar[str] = "gcs"
    description: ClassVar[str] = "gcp-storage-emulator, a local Cloud Storage (JSON API, in memory)"
    endpoint_env: ClassVar[str] = EMULATOR_ENV
    default_port: ClassVar[int] = 9023
    port_env: ClassVar[str | None] = "BOOTCAMP_GCS_PORT"
    start_timeout_s: ClassVar[float] = 30.0

    def requirements(self) -> list[Requirement]:
        return [Requirement("the gcp-storage-emulator script (PyPI gcp-storage-emulator)",
                            emulator_binary() is not None, "uv sync")]

    def command(self, port: int, data_dir: Path) -> list[str]:
        binary = emulator_binary()
        assert binary is not None, "requirements() guards this"
        # Run the script by this interpreter, so the recorded program (argv[0]) is the one that keeps
        # running (a shebang script's own path would be replaced by the interpreter's on exec).
        # In memory: a course resets by restarting; tests use unique object prefixes instead.
        return [sys.executable, binary, "start", "--host", LOCALHOST, "--port", str(port),
                "--in-memory", "--quiet"]

    def endpoint_for(self, port: int) -> str:
        return f"http://{LOCALHOST}:{port}"

    def is_healthy(self, endpoint: str) -> bool:
        """List buckets: the emulator answers the GCS JSON API."""
        try:
            response = httpx.get(f"{endpoint}/storage/v1/b", timeout=1.5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.json().get("kind") == "storage#buckets"
