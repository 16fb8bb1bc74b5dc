"""Checks for what the machine must have, each with the exact command that gets it.

Shared by `bootcamp doctor` and by services (a JVM-based emulator states `java(17)` as a requirement,
so a missing Java is one clear line, not a stack trace from subprocess).
"""

from __future__ import annotations

import re
import shutil
import subprocess

from bootcamp.services.base import Requirement


def java_major_version(java: str = "java") -> int | None:
    """The major version of `java` on PATH (17 for "17.0.15"), or None if there is none."""
    path = shutil.which(java)
    if path is None:
        return None
    try:
        result = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


def java(minimum: int = 17) -> Requirement:
    """Java `minimum` or newer on PATH."""
    found = java_major_version()
    what = f"Java {minimum}+" + (f" (found {found})" if found else "")
    return Requirement(what, found is not None and found >= minimum,
                       f"apt-get install -y openjdk-{minimum}-jre-headless")


def command(name: str, debian_package: str) -> Requirement:
    """A program on PATH that a Debian package provides."""
    return Requirement(f"`{name}` (Debian {debian_package})", shutil.which(name) is not None,
                       f"apt-get install -y {debian_package}")


def maven() -> Requirement:
    """Maven, which resolves the JVM parts from Maven Central (checksums verified)."""
    return Requirement("Maven (mvn), to resolve the JVM parts", shutil.which("mvn") is not None,
                       "apt-get install -y maven")


def go_version() -> tuple[int, int] | None:
    """(1, 26) for go1.26.8 on PATH, or None."""
    path = shutil.which("go")
    if path is None:
        return None
    try:
        result = subprocess.run([path, "env", "GOVERSION"], capture_output=True, text=True, timeout=20,
                                check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"go(\d+)\.(\d+)", result.stdout.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def go(minimum: tuple[int, int] = (1, 26)) -> Requirement:
    """Go `minimum` or newer, which builds the Go parts from the module proxy."""
    found = go_version()
    shown = f"{minimum[0]}.{minimum[1]}"
    what = f"Go {shown}+, to build the Go parts" + (f" (found {found[0]}.{found[1]})" if found else "")
    return Requirement(what, found is not None and found >= minimum,
                       f"install Go {shown}+ from https://go.dev/dl (Debian's golang-go is older)")
