"""JVM artifacts from Maven Central and Go binaries from the Go module proxy, pinned in `parts.toml`.

Some local parts are not Python packages: Apache Kafka itself (a set of jars), the Lambda Runtime
Interface Emulator (a Go program), later Beam's job servers, Flink's connectors and Cassandra. They
come from the registries made for them, by their own tools: Maven resolves and verifies the jars
(`--strict-checksums`) into its local repository and writes the classpath; `go install` builds the
binary from the module proxy. Both caches (`~/.m2`, the Go module cache) survive `make clean`, and a
stamp per part records what was resolved, so a second set-up only checks that the files are there.

What is resolved lives in `.parts/` at the repository root (git-ignored), not under the run-time
state directory: tests point `BOOTCAMP_STATE_DIR` at temporary folders, and the parts must still be
found.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from bootcamp.errors import BootcampError
from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import Requirement

SPEC = Path(__file__).with_name("parts.toml")
PARTS_DIR = Path(os.environ.get("BOOTCAMP_PARTS_DIR", REPO_ROOT / ".parts"))
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"


class PartUnavailable(BootcampError):
    """An optional part its registry does not serve: the project goes on without it."""


def _stamp_of(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class MavenPart:
    """A group of Maven artifacts resolved, with their dependencies, into one classpath."""

    name: str
    what: str
    artifacts: tuple[str, ...]
    optional: bool = False

    @property
    def home(self) -> Path:
        return PARTS_DIR / "maven" / self.name

    @property
    def _stamp(self) -> str:
        return _stamp_of(self.artifacts)

    def classpath(self) -> list[Path] | None:
        """The resolved jars, or None when they were not resolved (or a jar has gone missing)."""
        try:
            record = json.loads((self.home / "classpath.json").read_text())
        except (OSError, ValueError):
            return None
        if record.get("stamp") != self._stamp:
            return None
        jars = [Path(p) for p in record["jars"]]
        return jars if jars and all(jar.is_file() for jar in jars) else None

    def jar(self, coordinate: str | None = None) -> Path | None:
        """The resolved jar of one artifact (the first by default), e.g. a job server for `java -jar`."""
        _, artifact, version = (coordinate or self.artifacts[0]).split(":")
        return next((jar for jar in self.classpath() or [] if jar.name == f"{artifact}-{version}.jar"), None)

    def refusal(self) -> str | None:
        """Why the registry refused this optional part at its pinned versions, if it did."""
        try:
            record = json.loads((self.home / "unavailable.json").read_text())
        except (OSError, ValueError):
            return None
        return str(record["reason"]) if record.get("stamp") == self._stamp else None

    def classpath_arg(self) -> str:
        """The classpath for `java -cp`; a clear error when the part is not installed."""
        jars = self.classpath()
        if jars is None:
            raise BootcampError(f"{self.what} is not resolved", hint=self.fix)
        return os.pathsep.join(str(jar) for jar in jars)

    @property
    def fix(self) -> str:
        return f"bash scripts/setup.sh (or: .venv/bin/python -m bootcamp.parts install {self.name})"

    def installed(self) -> bool:
        return self.classpath() is not None

    def requirement(self) -> Requirement:
        fix = self.fix
        if self.optional and (reason := self.refusal()):
            fix = f"not served by the Maven repository here ({reason}); then: {fix}"
        return Requirement(f"{self.what} ({', '.join(self.artifacts[:1])} …, Maven Central)",
                           self.classpath() is not None, fix, optional=self.optional)

    def pom(self) -> str:
        deps = []
        for coordinate in self.artifacts:
            group, artifact, version = coordinate.split(":")
            deps.append(f"    <dependency><groupId>{escape(group)}</groupId><artifactId>{escape(artifact)}"
                        f"</artifactId><version>{escape(version)}</version></dependency>")
        return ("<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n"
                "  <modelVersion>4.0.0</modelVersion>\n"
                f"  <groupId>bootcamp.parts</groupId><artifactId>{escape(self.name)}</artifactId>"
                "<version>1</version><packaging>pom</packaging>\n  <dependencies>\n"
                + "\n".join(deps) + "\n  </dependencies>\n</project>\n")

    def install(self, retry: bool = False) -> bool:
        """Resolve the artifacts unless already resolved; True when work was done.

        An optional part the registry refused is not asked for again unless `retry`: it raises
        `PartUnavailable` at once, with the recorded reason.
        """
        if self.classpath() is not None:
            return False
        if self.optional and not retry and (reason := self.refusal()):
            raise PartUnavailable(f"{self.name} is not available: {reason}")
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BootcampError("Maven (mvn) is not installed; it resolves the JVM parts",
                                hint="apt-get install -y maven")
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "pom.xml").write_text(self.pom())
        with tempfile.NamedTemporaryFile("r", suffix=".txt", dir=self.home) as out:
            result = subprocess.run(
                [mvn, "-B", "-q", "--strict-checksums", "-f", str(self.home / "pom.xml"),
                 f"{MAVEN_DEPENDENCY_PLUGIN}:build-classpath", f"-Dmdep.outputFile={out.name}"],
                capture_output=True, text=True, check=False)
            if result.returncode != 0:
                tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
                if self.optional:
                    reason = _maven_reason(result.stdout + result.stderr)
                    (self.home / "unavailable.json").write_text(json.dumps({"stamp": self._stamp,
                                                                             "reason": reason}))
                    raise PartUnavailable(f"{self.name} is not available: {reason}")
                raise BootcampError(f"Maven could not resolve {self.name} ({', '.join(self.artifacts)}): "
                                    f"{tail}", hint="check the versions in bootcamp/parts/parts.toml")
            jars = [p for p in out.read().strip().split(os.pathsep) if p]
        (self.home / "classpath.json").write_text(json.dumps({"stamp": self._stamp, "jars": jars}))
        return True


def _maven_reason(output: str) -> str:
    """Maven's verdict on a refused artifact in a few words ("no g:a:jar:v in the repository"), or its
    first error line when there is no such verdict."""
    found = (re.search(r"Could not find artifact (\S+)", output)
             or re.search(r"(\S+) was not found in", output))
    if found:
        return f"the Maven repository has no {found.group(1)}"
    errors = [line for line in output.splitlines() if "ERROR" in line]
    return (errors or ["Maven failed without a message"])[0].strip()[:300]


@dataclass(frozen=True)
class GoPart:
    """A Go program built by `go install package@version` from the module proxy."""

    name: str
    what: str
    package: str
    version: str

    @property
    def home(self) -> Path:
        return PARTS_DIR / "go"

    @property
    def binary_path(self) -> Path:
        return self.home / "bin" / self.package.rsplit("/", 1)[-1]

    @property
    def _stamp_path(self) -> Path:
        return self.home / f"{self.name}.stamp"

    def binary(self) -> Path | None:
        """The built program, or None when it is missing or was built from another version."""
        try:
            stamp = self._stamp_path.read_text().strip()
        except OSError:
            return None
        ok = stamp == f"{self.package}@{self.version}" and self.binary_path.is_file()
        return self.binary_path if ok else None

    @property
    def fix(self) -> str:
        return f"bash scripts/setup.sh (or: .venv/bin/python -m bootcamp.parts install {self.name})"

    def installed(self) -> bool:
        return self.binary() is not None

    def requirement(self) -> Requirement:
        return Requirement(f"{self.what} (go install {self.package}@{self.version[:12]}…)",
                           self.binary() is not None, self.fix)

    def install(self, retry: bool = False) -> bool:
        if self.binary() is not None:
            return False
        go = shutil.which("go")
        if go is None:
            raise BootcampError("Go is not installed; it builds the Go parts",
                                hint="install Go 1.26+ from https://go.dev/dl (Debian's golang-go is older)")
        (self.home / "bin").mkdir(parents=True, exist_ok=True)
        result = subprocess.run([go, "install", f"{self.package}@{self.version}"],
                                env={**os.environ, "GOBIN": str(self.home / "bin"), "CGO_ENABLED": "0"},
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = " | ".join(result.stderr.strip().splitlines()[-3:])
            raise BootcampError(f"go install {self.package}@{self.version} failed: {tail}",
                                hint="check the version in bootcamp/parts/parts.toml")
        self._stamp_path.write_text(f"{self.package}@{self.version}\n")
        return True


Part = MavenPart | GoPart


@cache
def all_parts() -> dict[str, Part]:
    """Every part in `parts.toml`, by name."""
    spec = tomllib.loads(SPEC.read_text())
    found: dict[str, Part] = {}
    for name, raw in spec.get("maven", {}).items():
        found[name] = MavenPart(name, raw["what"], tuple(raw["artifacts"]), bool(raw.get("optional", False)))
    for name, raw in spec.get("go", {}).items():
        found[name] = GoPart(name, raw["what"], raw["package"], raw["version"])
    return found


def get_part(name: str) -> Part:
    parts = all_parts()
    if name not in parts:
        raise BootcampError(f"unknown part {name!r}", hint=f"known: {', '.join(parts)}")
    return parts[name]


def maven(name: str) -> MavenPart:
    part = get_part(name)
    assert isinstance(part, MavenPart), f"{name} is a Go part"
    return part


def go(name: str) -> GoPart:
    part = get_part(name)
    assert isinstance(part, GoPart), f"{name} is a Maven part"
    return part
