"""The local Pub/Sub: Google's own Pub/Sub emulator (a Java server), run from its jar.

It comes with the Cloud SDK: the Debian package `google-cloud-cli-pubsub-emulator` installs it at
`/usr/lib/google-cloud-sdk/platform/pubsub-emulator`, and `gcloud components install pubsub-emulator`
puts it under the SDK root elsewhere. We start the jar directly with `java`, in its own session, and
stop it by killing that process group: `gcloud beta emulators pubsub start` is a Python wrapper that
leaves its Java child running when it is sent SIGTERM.

The emulator keeps everything in memory (gone on restart), accepts any project id of 6+ characters,
names of 3+ characters, and refuses empty messages. `PUBSUB_EMULATOR_HOST` is what every Google
client library reads to talk to an emulator instead of the cloud; unset it to reach real Pub/Sub.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import ClassVar

import httpx

from bootcamp.services.base import LOCALHOST, Requirement, Service

EMULATOR_DIRS = (
    Path("/usr/lib/google-cloud-sdk/platform/pubsub-emulator"),
    Path("/usr/share/google-cloud-sdk/platform/pubsub-emulator"),
    Path.home() / "google-cloud-sdk/platform/pubsub-emulator",
)


def emulator_jar() -> Path | None:
    """The emulator's all-in-one jar (`lib/cloud-pubsub-emulator-*-all.jar`), or None."""
    roots = list(EMULATOR_DIRS)
    sdk_root = os.environ.get("CLOUDSDK_ROOT_DIR")
    if sdk_root:
        roots.insert(0, Path(sdk_root) / "platform/pubsub-emulator")
    for root in roots:
        jars = sorted((root / "lib").glob("cloud-pubsub-emulator-*.jar"))
        if jars:
            return jars[-1]
    return None


def java_binary() -> str | None:
    """`java` from JAVA_HOME or the PATH, or None."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin/java").is_file():
        return str(Path(java_home) / "bin/java")
    return shutil.which("java")


class PubSubService(Service):
    name: ClassVar[str] = "pubsub"
    description: ClassVar[str] = "Google's Cloud Pub/Sub emulator (Java, in memory)"
    endpoint_env: ClassVar[str] = "PUBSUB_EMULATOR_HOST"
    default_port: ClassVar[int] = 8085
    port_env: ClassVar[str | None] = "BOOTCAMP_PUBSUB_PORT"
    start_timeout_s: ClassVar[float] = 60.0

    def requirements(self) -> list[Requirement]:
        return [
            Requirement(
                "Java 11+ (the emulator is a Java server)",
                java_binary() is not None,
                "apt-get install -y openjdk-17-jre-headless (or set JAVA_HOME)",
            ),
            Requirement(
                "the Pub/Sub emulator jar (google-cloud-cli-pubsub-emulator)",
                emulator_jar() is not None,
                "apt-get install -y google-cloud-cli-pubsub-emulator (Google's Cloud SDK apt repository), "
                "or `gcloud components install pubsub-emulator` and set CLOUDSDK_ROOT_DIR",
            ),
        ]

    def command(self, port: int, data_dir: Path) -> list[str]:
        java, jar = java_binary(), emulator_jar()
        assert java is not None, "requirements() guards this"
        assert jar is not None, "requirements() guards this"
        # The launcher script runs exactly `java -jar <jar> <args>`; a small heap keeps it polite.
        return [java, "-Xms64m", "-Xmx512m", "-jar", str(jar), f"--host={LOCALHOST}", f"--port={port}"]

    def is_healthy(self, endpoint: str) -> bool:
        """The emulator answers `GET /` with `Ok` once its gRPC/REST server is serving."""
        try:
            response = httpx.get(f"http://{endpoint}/", timeout=1.5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.text.strip() == "Ok"
