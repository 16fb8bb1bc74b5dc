"""Where Pub/Sub is: the emulator the project started, one named by the environment, or the cloud.

Google's client libraries read `PUBSUB_EMULATOR_HOST` themselves; when it is set they talk plaintext
gRPC to that address with no credentials. `use_local_emulator()` sets it from the running emulator when
the user set nothing, so scripts need no environment of their own. With neither, the libraries use
Application Default Credentials and real Pub/Sub: the same code, pointed elsewhere by configuration.
"""

from __future__ import annotations

import os

from pydantic_settings import BaseSettings, SettingsConfigDict

from bootcamp.errors import BootcampError

LOCAL_PROJECT = "bootcamp-local"


class PubSubSettings(BaseSettings):
    """`PUBSUB_PROJECT_ID` (or `GOOGLE_CLOUD_PROJECT`) and `PUBSUB_EMULATOR_HOST`."""

    model_config = SettingsConfigDict(env_prefix="PUBSUB_", extra="ignore")

    project_id: str | None = None
    emulator_host: str | None = None

    def project(self) -> str:
        """The project: PUBSUB_PROJECT_ID, else GOOGLE_CLOUD_PROJECT, else the local one."""
        project = self.project_id or os.environ.get("GOOGLE_CLOUD_PROJECT") or LOCAL_PROJECT
        if len(project) < 6:
            raise BootcampError(f"project id {project!r} is too short",
                                hint="Pub/Sub project ids have 6 to 30 characters")
        return project


def use_local_emulator(required: bool = True) -> str | None:
    """Point the Google client libraries at the emulator; return its host:port.

    An explicit `PUBSUB_EMULATOR_HOST` wins. Else the emulator this project started, if it runs.
    Else (with `required`) a one-line error saying how to start it; without, None (the cloud).
    """
    explicit = os.environ.get("PUBSUB_EMULATOR_HOST")
    if explicit:
        return explicit
    from bootcamp.services.pubsub import PubSubService

    endpoint = PubSubService().running_endpoint()
    if endpoint:
        os.environ["PUBSUB_EMULATOR_HOST"] = endpoint
        return endpoint
    if required:
        raise BootcampError("no Pub/Sub: PUBSUB_EMULATOR_HOST is unset and the emulator is not running",
                            hint="run `bootcamp up pubsub`, or export PUBSUB_EMULATOR_HOST")
    return None
