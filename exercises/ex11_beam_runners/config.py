"""ex11 settings from the environment (prefix EX11_), and the names of the local runners."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

RUNNERS = ("direct-in-memory", "direct-multi-threading", "direct-multi-processing", "bundle-based-direct",
           "dask", "prism")
"""The runners that work on this machine; `runners.runner_options(name)` maps each to its options."""
JOB_SERVER_RUNNERS = ("flink", "spark")
"""Runners behind one of Beam's Java job servers (`portable.py`): run when set-up resolved the jar."""
DASK_RUNNER = "apache_beam.runners.dask.dask_runner.DaskRunner"


class Ex11Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EX11_", extra="ignore")

    rows: int = 20_000
    bad_fraction: float = 0.002
    seed: int = 7
    workers: int = 2  # DirectRunner workers and Dask worker processes
    runners: str = ",".join(RUNNERS)

    def runner_list(self) -> list[str]:
        """EX11_RUNNERS as given; by default every local runner and each job-server runner whose jar
        set-up resolved."""
        named = [name.strip() for name in self.runners.split(",") if name.strip()]
        if "runners" in self.model_fields_set:
            return named
        from exercises.ex11_beam_runners import portable

        return named + portable.available()
