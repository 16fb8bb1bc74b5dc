"""ex11 settings from the environment (prefix EX11_)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Ex11Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EX11_", extra="ignore")

    rows: int = 20_000
    bad_fraction: float = 0.002
    seed: int = 7
    workers: int = 2  # DirectRunner workers and Dask worker processes
    runners: str = "direct-in-memory,direct-multi-threading,direct-multi-processing,bundle-based-direct,dask"

    def runner_list(self) -> list[str]:
        return [name.strip() for name in self.runners.split(",") if name.strip()]
