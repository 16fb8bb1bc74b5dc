"""Helpers for the exercises' offline checks of their cloud artifacts."""

from __future__ import annotations

import tomllib

from bootcamp.paths import REPO_ROOT


def locked_versions() -> dict[str, str]:
    """Every package uv.lock pins, by name: what a deploy image's requirements must match."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return {package["name"]: package["version"] for package in lock["package"]}
