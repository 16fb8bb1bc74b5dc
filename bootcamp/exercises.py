"""The exercise registry: the 16-exercise catalogue, and the manifests of the exercises that exist.

An exercise is a folder `exercises/exNN_slug/` with an `exercise.py` that defines `EXERCISE`, an
`Exercise` naming its services and its `run` and `bench` entry points. The CLI finds them by looking,
so adding an exercise never means editing the platform.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bootcamp.errors import BootcampError
from bootcamp.paths import EXERCISES_DIR

CATALOG: dict[str, str] = {
    "ex01": "Basic data transformation with Apache Kafka",
    "ex02": "Stream processing with Pub/Sub and Apache Beam (windowed word count)",
    "ex03": "Stateless API on Kubernetes",
    "ex04": "Event-driven processing with AWS Kinesis and Lambda",
    "ex05": "Real-time visualisation with Azure Event Hubs and WebSockets",
    "ex06": "Enriching a Pub/Sub stream with a Bookstore API",
    "ex07": "Converting a Spark pipeline to Apache Beam",
    "ex08": "Real-time auctions (REST, WebSockets, PostgreSQL)",
    "ex09": "Sentiment analysis with Apache Flink",
    "ex10": "Anomaly detection into InfluxDB",
    "ex11": "Exploring Apache Beam runners",
    "ex12": "Side inputs in Apache Beam",
    "ex13": "Schemas in Apache Beam",
    "ex14": "Monitoring developer productivity with Beam",
    "ex15": "A multilingual ML pipeline with Beam",
    "ex16": "Predicting incomes by education level with Beam",
}


@dataclass(frozen=True)
class RunResult:
    """What `bootcamp run` reports: did it work end to end, and the figures that show it."""

    ok: bool
    summary: str
    figures: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Exercise:
    """One exercise's manifest: what it needs and how to run and benchmark it."""

    id: str
    title: str
    services: tuple[str, ...]
    run: Callable[[bool], RunResult]
    bench: Callable[[bool], None]
    # Services only the tests use, beyond `services` (which `run` and `bench` start). The harnesses
    # that run an exercise's tests in children (its catalogue of mistakes, the starter contract)
    # start all of them once, so that no child starts a server that a sibling then uses.
    test_services: tuple[str, ...] = ()
    folder: Path = field(default=Path())

    @property
    def services_for_tests(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.services, *self.test_services)))

    @property
    def package(self) -> str:
        return f"exercises.{self.folder.name}"


_ID = re.compile(r"^(ex\d\d)_[a-z0-9_]+$")


def exercise_folders() -> dict[str, Path]:
    """Existing exercise folders by id."""
    found: dict[str, Path] = {}
    if EXERCISES_DIR.is_dir():
        for path in sorted(EXERCISES_DIR.iterdir()):
            match = _ID.match(path.name)
            if match and (path / "exercise.py").is_file():
                found[match.group(1)] = path
    return found


def normalise_id(raw: str) -> str:
    """Accept `ex01`, `1`, `01` or the folder name; return `ex01`."""
    text = raw.strip().lower()
    match = re.fullmatch(r"(?:ex)?0*(\d{1,2})(?:_.*)?", text)
    if not match:
        raise BootcampError(f"{raw!r} is not an exercise id", hint="use ex01 … ex16; see `bootcamp list`")
    exercise_id = f"ex{int(match.group(1)):02d}"
    if exercise_id not in CATALOG:
        raise BootcampError(f"there is no exercise {exercise_id}", hint="see `bootcamp list`")
    return exercise_id


def load(raw_id: str) -> Exercise:
    """The manifest of an exercise that exists; a clear error for one that is only planned."""
    exercise_id = normalise_id(raw_id)
    folder = exercise_folders().get(exercise_id)
    if folder is None:
        raise BootcampError(f"{exercise_id} ({CATALOG[exercise_id]}) is not built yet",
                            hint="see `bootcamp list` for the exercises you can run")
    module = importlib.import_module(f"exercises.{folder.name}.exercise")
    manifest: Exercise = module.EXERCISE
    object.__setattr__(manifest, "folder", folder)
    return manifest


def built() -> list[Exercise]:
    """Every exercise that exists, in order."""
    return [load(exercise_id) for exercise_id in exercise_folders()]
