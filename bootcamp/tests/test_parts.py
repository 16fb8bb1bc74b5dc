"""Parts from Maven Central and the Go module proxy: resolved once, found again, and every failure one
clear line naming the part and the command that gets it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bootcamp import parts
from bootcamp.errors import BootcampError
from bootcamp.paths import REPO_ROOT


def test_every_part_is_pinned_to_an_exact_version() -> None:
    for part in parts.all_parts().values():
        if isinstance(part, parts.MavenPart):
            for coordinate in part.artifacts:
                group, artifact, version = coordinate.split(":")
                assert group, coordinate
                assert artifact, coordinate
                assert version[0].isdigit(), coordinate
                assert not any(c in version for c in "[]()+,"), f"{coordinate}: a range, not a pin"
        else:
            assert part.version.startswith("v"), part.version


def test_a_second_install_is_a_check_of_seconds() -> None:
    began = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "bootcamp.parts", "install"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "resolving" not in result.stdout, "everything was resolved by set-up already"
    assert time.monotonic() - began < 30


@pytest.mark.slow
def test_an_artifact_maven_cannot_resolve_is_one_clear_error(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "PARTS_DIR", tmp_path)
    missing = parts.MavenPart("nothing", "a part that does not exist",
                              ("org.apache.kafka:kafka-no-such-artifact:4.4.0",))
    with pytest.raises(BootcampError, match=r"Maven could not resolve nothing .*kafka-no-such-artifact"):
        missing.install()
    assert missing.classpath() is None


def test_up_with_an_unresolved_part_names_it_and_the_command(tmp_path: Path) -> None:
    """A fresh clone where set-up has not run: one `error:` line, exit 2, no traceback."""
    env = {**os.environ, "BOOTCAMP_PARTS_DIR": str(tmp_path / "parts"),
           "BOOTCAMP_STATE_DIR": str(tmp_path / "state")}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    result = subprocess.run([sys.executable, "-m", "bootcamp.cli", "up", "kafka"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert "error: kafka needs Apache Kafka broker" in output
    assert "scripts/setup.sh" in output


def test_doctor_names_an_unresolved_part_and_exits_1(tmp_path: Path) -> None:
    env = {**os.environ, "BOOTCAMP_PARTS_DIR": str(tmp_path / "parts")}
    result = subprocess.run([sys.executable, "-m", "bootcamp.cli", "doctor"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "Apache Kafka broker" in result.stdout
    assert "setup.sh" in result.stdout, "the command that gets it"


@pytest.mark.slow
def test_an_optional_part_the_registry_refuses_is_recorded_and_not_asked_for_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beam's job servers are optional: where Maven does not serve them, set-up goes on without them."""
    monkeypatch.setattr(parts, "PARTS_DIR", tmp_path)
    optional = parts.MavenPart("nothing", "an optional part that does not exist",
                               ("org.apache.kafka:kafka-no-such-artifact:4.4.0",), optional=True)
    with pytest.raises(parts.PartUnavailable, match=r"^nothing is not available: the Maven repository has no "
                                                    r"org\.apache\.kafka:kafka-no-such-artifact:jar:4\.4\.0$"):
        optional.install()
    monkeypatch.setattr(shutil, "which", lambda name: None)  # Maven must not be asked again
    with pytest.raises(parts.PartUnavailable, match="kafka-no-such-artifact"):
        optional.install()
    requirement = optional.requirement()
    assert not requirement.present
    assert requirement.optional, "doctor lists it without failing"
    assert "not served" in requirement.fix
    assert "bootcamp.parts install nothing" in requirement.fix, "the command that asks for it again"
    with pytest.raises(BootcampError, match=r"Maven \(mvn\) is not installed"):
        optional.install(retry=True)  # a retry does ask Maven again
