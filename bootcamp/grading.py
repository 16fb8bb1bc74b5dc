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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from bootcamp.errors import BootcampError


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
    return parts
