"""ex14 settings from the environment (prefix EX14_), and the runners."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

RUNNERS = ("direct", "prism")
"""Runners that run here: `direct` is the FnApiRunner (what Beam 2.77's DirectRunner falls back to
when it cannot download Prism), named explicitly; `prism` is the project's own Prism binary."""
JOB_SERVER_RUNNERS = ("flink", "spark")
"""Runners behind Beam's Java job servers (ex11's `portable.py`): refused here in one line, because the
reachable Maven repository serves none of their jars."""


class Ex14Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EX14_", extra="ignore")

    seed: int = 14
    size: str = "small"  # tiny | small | large (generator.SIZES)
    grain: str = "week"  # week | day
    workers: int = 2
    # real services instead of the fake (all three, or none):
    github_url: str = ""  # e.g. https://api.github.com
    jira_url: str = ""  # e.g. https://your-site.atlassian.net
    slack_url: str = ""  # e.g. https://slack.com/api/
    identities: str = ""  # the mapping table (CSV); the generator's when empty
