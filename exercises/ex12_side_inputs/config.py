"""Settings from the environment (prefix `EX12_`): the same code reads local files or gs:// paths."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from bootcamp.paths import DATA_DIR, state_dir

Method = Literal["side_input", "cogroupbykey"]


class Ex12Settings(BaseSettings):
    """Where the inputs are, where the outputs go, and which join to run.

    Locally the defaults read the committed sample under `data/ex12/`; on Dataflow set
    `EX12_PROFILES=gs://bucket/ex12/profiles.csv` and so on, and pass `--runner DataflowRunner ...`
    as pipeline arguments.
    """

    model_config = SettingsConfigDict(env_prefix="EX12_", extra="ignore")

    profiles: str = str(DATA_DIR / "ex12" / "profiles.csv")
    purchases: str = str(DATA_DIR / "ex12" / "purchases.csv")
    promotions: str = str(DATA_DIR / "ex12" / "promotions.csv")
    output: str = ""                       # a directory or gs:// prefix; default .bootcamp/ex12/out
    method: Method = "side_input"

    def output_dir(self) -> str:
        return self.output or str(state_dir() / "ex12" / "out")
