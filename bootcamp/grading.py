"""What the grader knows about an exercise beyond its tests: its parts, their hints, its wrong answers.

Each exercise folder may carry two files beside `exercise.py`:

- `hints.toml`: the learner's parts, in the order a learner meets them. Each part names the tests
  that grade it (pytest node-id prefixes relative to the exercise folder) and progressive hints:
  first the idea, then the API, then the shape of the code. `bootcamp hint`, `watch` and
  `progress` read it.

  ```toml
  [[part]]
  name = "transform"                      # a slug, unique in the exercise
  title = "Transform one record"
  tests = ["tests/test_transform.py", "tests/test_transformer.py::test_dead_letters"]
  hints = ["the idea ...", "the API ...", "the shape of the code ..."]
  ```

- `mistakes.py`: `MISTAKES`, a catalogue of realistic wrong answers, each one small edit to the
  reference solution that a capable engineer new to the lesson would make. A slow test applies each
  to a copy of the solution placed in `starter/` of a temporary tree and asserts the exercise's
  check rejects it with a message naming what is wrong: the grader is itself graded.

What the grader keeps under the state directory (`.bootcamp/`, or `BOOTCAMP_STATE_DIR`):

- `progress/exNN.json`: the outcome of each test in the learner's last check, written by the pytest
  plugin whenever it runs with `--impl starter`, and merged (a check of some tests keeps the others'
  last outcomes). Test ids are relative to the exercise folder, as in hints.toml:

  ```json
  {"exercise": "ex01", "updated": "2026-12-01T22:00:00+00:00",
   "tests": {"tests/test_transform.py::test_upper": "passed",
             "tests/test_transformer.py::test_dead_letters": "not implemented"}}
  ```

  An outcome is `passed`, `failed`, `not implemented` or `skipped`. A part passes when every test
  matching its `tests` prefixes passed; it is `not implemented` when none failed otherwise; `failed`
  when one did; `not checked` when none of its tests has run yet.
- `hints/exNN.json`: `{"part name": number of hints shown}`, so each `bootcamp hint` shows the next.
"""

from __future__ import annotations

import fcntl
import json
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bootcamp.errors import BootcampError
from bootcamp.paths import state_dir

PASSED, FAILED, NOT_IMPLEMENTED, SKIPPED = "passed", "failed", "not implemented", "skipped"
NOT_CHECKED = "not checked"
OUTCOME_RANK = {PASSED: 0, SKIPPED: 1, NOT_IMPLEMENTED: 2, FAILED: 3}
"""How bad an outcome is: of a test's setup, call and teardown, the worst one is the test's."""


@dataclass(frozen=True)
class Mistake:
    """A realistic wrong answer: one small edit to the reference solution the check must reject."""

    name: str
    """A slug, unique in the exercise: `commit-before-delivery`."""
    lesson: str
    """One sentence: what the engineer got wrong, and why it matters."""
    file: str
    """The file to edit, relative to the exercise's `solution/` folder."""
    old: str
    """Text that occurs exactly once in that file."""
    new: str
    """What replaces it."""
    expect: str
    """Text the failing check must print (the assertion message that names the mistake)."""
    tests: tuple[str, ...]
    """The tests that must catch it: pytest node ids (or prefixes) relative to the exercise folder."""

    def apply(self, source: str) -> str:
        """The edited file text; a clear error when `old` does not occur exactly once."""
        count = source.count(self.old)
        if count != 1:
            raise BootcampError(f"mistake {self.name!r}: the text to replace occurs {count} times "
                                f"in {self.file}, not once", hint="update the catalogue entry")
        return source.replace(self.old, self.new)


@dataclass(frozen=True)
class Part:
    """One part of an exercise the learner writes, the tests that grade it, and its hints."""

    name: str
    title: str
    tests: tuple[str, ...]
    hints: tuple[str, ...]


def load_parts(folder: Path) -> list[Part]:
    """The parts declared in `folder/hints.toml`, in order; empty when the file is absent."""
    path = folder / "hints.toml"
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BootcampError(f"{path} is not valid TOML: {exc}") from None
    parts: list[Part] = []
    for raw in data.get("part", []):
        try:
            parts.append(Part(str(raw["name"]), str(raw["title"]),
                              tuple(str(t) for t in raw["tests"]), tuple(str(h) for h in raw["hints"])))
        except KeyError as exc:
            raise BootcampError(f"{path}: a part lacks {exc.args[0]!r}") from None
        if not parts[-1].tests or not parts[-1].hints:
            raise BootcampError(f"{path}: part {parts[-1].name!r} needs at least one test and one hint")
    return parts


# -- parts and the tests that grade them ------------------------------------------------------------
def matches(node_id: str, prefix: str) -> bool:
    """True when a test id falls under a hints.toml prefix: the same id, or one inside it (a file in
    a folder, a test in a file, a parametrised case of a test)."""
    prefix = prefix.rstrip("/")
    return node_id == prefix or (node_id.startswith(prefix) and node_id[len(prefix)] in ":/[")


def tests_of(part: Part, node_ids: Iterable[str]) -> list[str]:
    """The test ids among `node_ids` that grade `part`."""
    return [node for node in node_ids if any(matches(node, prefix) for prefix in part.tests)]


def part_status(part: Part, outcomes: Mapping[str, str]) -> str:
    """passed, failed, not implemented, or not checked, from the recorded test outcomes."""
    found = [outcomes[node] for node in tests_of(part, outcomes)]
    if not found:
        return NOT_CHECKED
    if all(outcome == PASSED for outcome in found):
        return PASSED
    if FAILED in found or SKIPPED in found:
        return FAILED
    return NOT_IMPLEMENTED


# -- progress: the outcomes of the learner's last check ---------------------------------------------
_EXERCISE_ID = re.compile(r"^(ex\d\d)_")


def exercise_id_of(folder: Path) -> str | None:
    """`ex01` for `exercises/ex01_kafka_transform`; None for a folder not named like an exercise."""
    match = _EXERCISE_ID.match(folder.name)
    return match.group(1) if match else None


def progress_path(exercise_id: str) -> Path:
    return state_dir() / "progress" / f"{exercise_id}.json"


def load_progress(exercise_id: str) -> dict[str, str]:
    """The last recorded outcome of each test of the exercise; empty before its first check."""
    try:
        data = json.loads(progress_path(exercise_id).read_text())
    except (OSError, ValueError):
        return {}
    tests = data.get("tests") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in tests.items()} if isinstance(tests, dict) else {}


def progress_updated(exercise_id: str) -> str | None:
    """When the exercise's progress was last recorded (ISO 8601, UTC), or None."""
    try:
        data = json.loads(progress_path(exercise_id).read_text())
    except (OSError, ValueError):
        return None
    updated = data.get("updated") if isinstance(data, dict) else None
    return str(updated) if updated else None


def record_progress(exercise_id: str, outcomes: Mapping[str, str]) -> Path:
    """Merge these outcomes into the exercise's progress file.

    Two checks can end at once (`watch` beside a `check`, the grader's parallel runs), so the
    read-merge-write holds a lock, and the file is written to a temporary name of its own and renamed:
    a reader never sees half a file, and neither run's outcomes are lost."""
    path = progress_path(exercise_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{exercise_id}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tests = {**load_progress(exercise_id), **outcomes}
        data = {"exercise": exercise_id, "updated": datetime.now(UTC).isoformat(timespec="seconds"),
                "tests": dict(sorted(tests.items()))}
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{exercise_id}.",
                                         suffix=".partial", delete=False) as partial:
            partial.write(json.dumps(data, indent=1) + "\n")
        Path(partial.name).replace(path)
    return path


# -- hints: how many of each part's hints the learner has seen ---------------------------------------
def hints_path(exercise_id: str) -> Path:
    return state_dir() / "hints" / f"{exercise_id}.json"


def hints_shown(exercise_id: str) -> dict[str, int]:
    try:
        data = json.loads(hints_path(exercise_id).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}


def next_hint(exercise_id: str, part: Part) -> tuple[int, str]:
    """Reveal the next hint of `part` (1-based number, text) and remember it; after the last one,
    the last one again."""
    shown = hints_shown(exercise_id)
    number = min(shown.get(part.name, 0) + 1, len(part.hints))
    shown[part.name] = number
    path = hints_path(exercise_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(shown, indent=1) + "\n")
    return number, part.hints[number - 1]
