"""Where the project lives and where it keeps run-time state.

State (service data, logs, pid files) goes under `.bootcamp/` in the repository, which git ignores, so a
checkout carries everything it runs and `rm -rf .bootcamp` is a full reset. `BOOTCAMP_STATE_DIR`
moves it, which tests use to keep a clean world of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXERCISES_DIR = REPO_ROOT / "exercises"
DATA_DIR = REPO_ROOT / "data"


def state_dir() -> Path:
    """The run-time state directory, created on first use."""
    path = Path(os.environ.get("BOOTCAMP_STATE_DIR", REPO_ROOT / ".bootcamp"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def service_dir(name: str) -> Path:
    """A service's own folder under the state directory: data, log, state file."""
    path = state_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
