"""The learner's loop, on a scratch exercise of two parts: `check` ends with the parts table, `hint`
reveals one hint more per call, `progress` reads the last check, `watch` re-checks on a real save."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bootcamp import exercises as registry
from bootcamp import grading
from bootcamp.cli import app
from bootcamp.paths import REPO_ROOT

HINTS = '''
[[part]]
name = "shout"
title = "Upper-case a text"
tests = ["tests/test_demo.py::test_shout"]
hints = ["the idea: one string method", "the API: str.upper", "the shape: return text.<method>()"]

[[part]]
name = "whisper"
title = "Lower-case a text"
tests = ["tests/test_demo.py::test_whisper", "tests/test_demo.py::test_whisper_keeps"]
hints = ["idea w", "API w", "shape w"]
'''

FILES = {
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p bootcamp.testing.plugin"\n',
    "ex13_demo/__init__.py": "",
    "ex13_demo/exercise.py": "",
    "ex13_demo/hints.toml": HINTS,
    "ex13_demo/starter/__init__.py": "",
    "ex13_demo/starter/core.py": textwrap.dedent('''
        def shout(text):
            raise NotImplementedError("core.shout: upper-case the text")


        def whisper(text):
            return text  # wrong: not lower-cased
        '''),
    "ex13_demo/tests/__init__.py": "",
    "ex13_demo/tests/test_demo.py": textwrap.dedent('''
        def test_shout(impl):
            assert impl.core.shout("a") == "A"


        def test_whisper(impl):
            assert impl.core.whisper("A") == "a", "whisper must lower-case"


        def test_whisper_keeps(impl):
            assert impl.core.whisper("a") == "a"
        '''),
}


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch exercise `ex13` (folder ex13_demo), its own state directory, the registry pointed at it."""
    for name, text in FILES.items():
        path = tmp_path / "tree" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    folder = tmp_path / "tree" / "ex13_demo"
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "tree"))
    monkeypatch.setattr(registry, "exercise_folders", lambda: {"ex13": folder})
    return folder


runner = CliRunner()


def test_check_ends_with_the_parts_table_and_keeps_the_outcomes(scratch: Path) -> None:
    result = runner.invoke(app, ["check", "ex13"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "shout" in line or "whisper" in line]
    assert any("not implemented" in line for line in lines if "shout" in line)
    assert any("failed" in line and "1/2" in line for line in lines if "whisper" in line)
    assert grading.load_progress("ex13") == {"tests/test_demo.py::test_shout": "not implemented",
                                             "tests/test_demo.py::test_whisper": "failed",
                                             "tests/test_demo.py::test_whisper_keeps": "passed"}


def test_hint_reveals_the_next_hint_of_the_first_part_not_passing_and_remembers(scratch: Path) -> None:
    grading.record_progress("ex13", {"tests/test_demo.py::test_shout": "passed"})
    first = runner.invoke(app, ["hint", "ex13"])
    assert first.exit_code == 0, first.output
    assert "whisper" in first.output
    assert "hint 1/3: idea w" in first.output
    assert "hint 2/3" not in first.output
    second = runner.invoke(app, ["hint", "ex13"])
    assert "hint 1/3: idea w" in second.output
    assert "hint 2/3: API w" in second.output
    assert json.loads(grading.hints_path("ex13").read_text()) == {"whisper": 2}
    for _ in range(3):
        last = runner.invoke(app, ["hint", "ex13", "shout"])
    assert "hint 3/3: the shape: return text.<method>()" in last.output
    assert "that was the last hint" in last.output
    again = runner.invoke(app, ["hint", "ex13", "shout"])
    assert "hint 3/3" in again.output, "after the last hint, the last one again"


def test_hint_of_an_unknown_part_is_one_error_line_and_exit_2(scratch: Path) -> None:
    result = runner.invoke(app, ["hint", "ex13", "sing"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ex13 has no part 'sing'")
    assert "shout, whisper" in lines[0]


def test_hint_of_an_exercise_without_hints_is_one_error_line(scratch: Path) -> None:
    (scratch / "hints.toml").unlink()
    result = runner.invoke(app, ["hint", "ex13"])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: ex13 has no hints yet")


def test_progress_shows_each_part_from_the_last_check(scratch: Path) -> None:
    before = runner.invoke(app, ["progress"])
    assert before.exit_code == 0
    assert "not checked yet" in before.output
    grading.record_progress("ex13", {"tests/test_demo.py::test_shout": "passed",
                                     "tests/test_demo.py::test_whisper": "not implemented",
                                     "tests/test_demo.py::test_whisper_keeps": "passed"})
    result = runner.invoke(app, ["progress"])
    rows = {line.split("│")[2].strip(): line for line in result.output.splitlines()
            if line.count("│") >= 5 and line.split("│")[2].strip() in ("shout", "whisper")}
    assert "passed" in rows["shout"]
    assert "1/1" in rows["shout"]
    assert "not implemented" in rows["whisper"]
    assert "1/2" in rows["whisper"]


WATCH = """
import sys
from pathlib import Path
from bootcamp import exercises as registry
registry.exercise_folders = lambda: {{"ex13": Path({folder!r})}}
from bootcamp.cli import app
app(["watch", "ex13", "--max-runs", "2"])
"""


@pytest.mark.slow
def test_watch_rechecks_on_a_real_save_of_the_starter(scratch: Path) -> None:
    """`watch` checks once, then again when a starter file is saved (here: the learner fixes shout)."""
    process = subprocess.Popen([sys.executable, "-c", WATCH.format(folder=str(scratch))], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "COLUMNS": "150"})
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("watching"):
                # A real save: the learner's fix of shout. Saved again each time the watcher is idle.
                (scratch / "starter/core.py").write_text(FILES["ex13_demo/starter/core.py"].replace(
                    'raise NotImplementedError("core.shout: upper-case the text")', "return text.upper()"))
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
    text = "".join(output)
    assert process.returncode == 0, text[-3000:]
    assert "check 1" in text
    assert "saved: core.py" in text
    assert "check 2" in text
    assert grading.load_progress("ex13")["tests/test_demo.py::test_shout"] == "passed"
    second = text[text.index("check 2"):]
    assert any("shout" in line and "passed" in line for line in second.splitlines())


def _record_many(worker: int) -> None:
    for n in range(40):
        grading.record_progress("ex13", {f"tests/test_w{worker}.py::test_{n}": "passed"})


def test_checks_ending_at_once_keep_every_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`watch` beside a `check`, or the grader's two children at once: every write merges, none is
    lost, and none fails on another's temporary file (a shared `.partial` name did, under load)."""
    import multiprocessing

    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path))
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_record_many, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0], "a writer crashed"
    assert len(grading.load_progress("ex13")) == 4 * 40
    assert sorted(p.name for p in grading.progress_path("ex13").parent.iterdir()
                  if not p.name.startswith(".ex13.lock")) == ["ex13.json"], "temporary files left"
