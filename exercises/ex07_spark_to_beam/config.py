"""ex07 settings from the environment (prefix EX07_): the same code reads local paths or gs://."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Ex07Settings(BaseSettings):
    """Where the data live. Set EX07_BUCKET to your bucket and unset STORAGE_EMULATOR_HOST for GCS."""

    model_config = SettingsConfigDict(env_prefix="EX07_", extra="ignore")

    bucket: str = "bootcamp-ex07"
    rows: int = 20_000
    bad_fraction: float = 0.002
    seed: int = 7
    spark_partitions: int = 4
    spark_gcs_mode: str = "auto"  # auto | direct | staged (see spark_job.run)
    beam_args: str = "--runner=FnApiRunner"  # named: see runtime.py

    def gs(self, *parts: str) -> str:
        """`gs://<bucket>/<parts...>`."""
        return "/".join((f"gs://{self.bucket}", *parts))
