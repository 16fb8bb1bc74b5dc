"""Settings from the environment (prefix `EX13_`): local files or gs:// paths, same code."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from bootcamp.paths import DATA_DIR, state_dir

InputFormat = Literal["csv", "avro"]


class Ex13Settings(BaseSettings):
    """Input (a reviews CSV, or the Avro file a previous run wrote), output folder, filter knob."""

    model_config = SettingsConfigDict(env_prefix="EX13_", extra="ignore")

    input: str = str(DATA_DIR / "ex13" / "reviews.csv")
    input_format: InputFormat = "csv"
    output: str = ""                         # a directory or gs:// prefix; default .bootcamp/ex13/out
    min_helpful_votes: int = 1               # what counts as a "trusted" review (with verified=true)

    def output_dir(self) -> str:
        return self.output or str(state_dir() / "ex13" / "out")
