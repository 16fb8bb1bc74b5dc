"""The grader graded: every catalogued wrong answer is rejected, for the right reason.

For each built exercise with a `mistakes.py` (format in `bootcamp.grading`), and for each mistake, a
temporary tree gets a copy of the platform (`bootcamp/`, `pyproject.toml`) and of the exercise, the
reference solution copied over `starter/`, and the mistake applied to that copy. Its tests then run
with `--impl=starter`, from the tree (so `python -m pytest` imports the copy, ahead of the editable
install), and must fail (exit 1) printing the mistake's `expect` text: not by a timeout, and not by
"not implemented yet". The unedited solution copied into `starter/` must pass the same tests.

Services start once, here (`local_service`, every one the manifest's `services_for_tests` names); the
children find them through the environment, as an external endpoint, so no child starts its own broker.
Each child has a state directory of its own all the same: a server a child started would be stopped
when that child ends, and a sibling sharing its state directory would lose it mid-test. At most two
children run at once.

The fast tests check the catalogues and hints themselves: parts and mistakes name tests that
`bootcamp check` collects (one `--collect-only` of every exercise), each `old` occurs exactly once.
They fail for an exercise whose catalogue is not written yet.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bootcamp import exercises as registry
from bootcamp import grading
from bootcamp.grading import Mistake
from bootcamp.paths import REPO_ROOT

BUILT = sorted(registry.exercise_folders().items())
CHILD_TIMEOUT_S = 150            # per test (pytest-timeout); a mistake must be caught well before it
PARALLEL = 2                     # children at once: the machines have two cores
#: Catalogues whose children run one at a time, and why.
ONE_AT_A_TIME = {
    "ex09_flink_sentiment": "each child runs a Flink MiniCluster with its Python workers; two at once, "
                            "beside the suite's other workers, once missed the job's 130 s deadline",
}
#: The plugin's report of a starter's stub: a line that starts with it, or a summary line's reason
#: (` - not implemented yet: ...`); not the words quoted in a traceback's source lines.
NOT_IMPLEMENTED_REPORT = re.compile(r"(?m)(^|\s-\s)" + re.escape(grading.NOT_IMPLEMENTED) + " yet")
LINKED = ("data", "scripts", ".parts", "uv.lock")  # read-only resources the tests may open (built
# parts: the Prism binary, the Lambda emulator, resolved jars; the lock a package build pins from):
# linked, not copied


# -- the catalogues ---------------------------------------------------------------------------------
def load_catalogue(path: Path) -> list[Mistake]:
    """`MISTAKES` from a mistakes.py, imported by path (it is not a module of any package)."""
    spec = importlib.util.spec_from_file_location(f"_mistakes_{path.parent.name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    mistakes: list[Mistake] = module.MISTAKES
    return mistakes


def catalogue_of(folder: Path) -> Path | None:
    """The exercise's catalogue, if it has one (the fast test above fails for one that has none)."""
    own = folder / "mistakes.py"
    return own if own.is_file() else None


def missing_tests(graded: set[str], node_ids: tuple[str, ...]) -> list[str]:
    """Node ids (or prefixes) that match no test `bootcamp check` grades (ids relative to the exercise)."""
    return [node for node in node_ids if not any(grading.matches(test, node) for test in graded)]


@pytest.fixture(scope="session")
def graded_tests() -> dict[str, set[str]]:
    """Per exercise folder name, the ids (relative to the folder) of the tests `bootcamp check`
    collects: one `--collect-only --impl=starter` of every exercise, in a child (Beam and Spark
    would otherwise be imported into this process)."""
    done = subprocess.run([sys.executable, "-m", "pytest", "exercises", "--collect-only", "-q",
                           "--impl=starter", "-p", "no:cacheprovider"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
    found: dict[str, set[str]] = {}
    for line in done.stdout.splitlines():
        if line.startswith("exercises/") and "::" in line:
            _, folder, rest = line.split("/", 2)
            found.setdefault(folder, set()).add(rest)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    return found


def catalogue_problems(folder: Path, mistakes: list[Mistake], graded: set[str]) -> list[str]:
    """What is wrong with a catalogue: too few entries, duplicate names, an `old` text that does
    not occur exactly once, tests that do not exist."""
    problems = [] if len(mistakes) >= 4 else [f"{len(mistakes)} mistakes, at least 4 wanted"]
    names = [m.name for m in mistakes]
    problems += [f"duplicate name {n!r}" for n in sorted(set(names)) if names.count(n) > 1]
    for mistake in mistakes:
        source = folder / "solution" / mistake.file
        count = source.read_text().count(mistake.old) if source.is_file() else -1
        if count != 1:
            problems.append(f"{mistake.name}: `old` occurs {count} times in solution/{mistake.file}"
                            if count >= 0 else f"{mistake.name}: no file solution/{mistake.file}")
        if not mistake.tests:
            problems.append(f"{mistake.name}: names no tests")
        problems += [f"{mistake.name}: no graded test {t}" for t in missing_tests(graded, mistake.tests)]
        if not mistake.expect.strip():
            problems.append(f"{mistake.name}: empty `expect`")
    return problems


def hints_problems(folder: Path, graded: set[str]) -> list[str]:
    parts = grading.load_parts(folder)
    if not parts:
        return ["no hints.toml with at least one [[part]]"]
    problems = [f"part {p.name}: no graded test {t}" for p in parts for t in missing_tests(graded, p.tests)]
    names = [p.name for p in parts]
    return problems + [f"duplicate part {n!r}" for n in sorted(set(names)) if names.count(n) > 1]


@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_hints_declare_parts_graded_by_tests_that_exist(exercise_id: str, folder: Path,
                                                        graded_tests: dict[str, set[str]]) -> None:
    assert hints_problems(folder, graded_tests.get(folder.name, set())) == []


@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_mistakes_catalogue_has_four_applicable_entries_naming_real_tests(
        exercise_id: str, folder: Path, graded_tests: dict[str, set[str]]) -> None:
    path = folder / "mistakes.py"
    assert path.is_file(), f"{exercise_id} has no mistakes.py"
    assert catalogue_problems(folder, load_catalogue(path), graded_tests.get(folder.name, set())) == []


def test_catalogue_problems_are_named(tmp_path: Path) -> None:
    """The checks above on a scratch exercise: each kind of broken entry is reported."""
    (tmp_path / "solution").mkdir()
    (tmp_path / "solution/core.py").write_text("x = 1\nx = 1\ny = 2\n")
    graded = {"tests/test_core.py::TestCore::test_y", "tests/test_core.py::test_x[a]"}
    good = Mistake("ok", "l", "core.py", "y = 2", "y = 3", "boom", ("tests/test_core.py::TestCore::test_y",))
    twice = Mistake("twice", "l", "core.py", "x = 1", "x = 2", "boom", ("tests/test_core.py::test_x[a]",))
    ghost = Mistake("ghost", "l", "core.py", "y = 2", "y = 3", "boom", ("tests/test_core.py::test_z",))
    elsewhere = Mistake("ok", "l", "nope.py", "y", "z", "", ("tests/test_none.py",))
    assert catalogue_problems(tmp_path, [good, twice, ghost, elsewhere], graded) == [
        "duplicate name 'ok'",
        "twice: `old` occurs 2 times in solution/core.py",
        "ghost: no graded test tests/test_core.py::test_z",
        "ok: no file solution/nope.py",
        "ok: no graded test tests/test_none.py",
        "ok: empty `expect`",
    ]
    assert catalogue_problems(tmp_path, [good] * 4, graded)[0] == "duplicate name 'ok'"
    four = [Mistake(f"ok{n}", "l", "core.py", "y = 2", "y = 3", "boom", ("tests/test_core.py::test_x",))
            for n in range(4)]
    assert catalogue_problems(tmp_path, four, graded) == [], "a prefix matches its parametrised cases"


# -- running a catalogue ----------------------------------------------------------------------------
def build_tree(root: Path, folder: Path) -> Path:
    """A tree with the platform and one exercise, the solution copied over the starter; returns the
    exercise folder in it."""
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    shutil.copytree(REPO_ROOT / "bootcamp", root / "bootcamp", ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", "tests"))
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "exercises").mkdir()
    shutil.copy2(REPO_ROOT / "exercises/__init__.py", root / "exercises/__init__.py")
    exercise = root / "exercises" / folder.name
    shutil.copytree(folder, exercise, ignore=ignore)
    for name in LINKED:
        if (REPO_ROOT / name).exists():
            (root / name).symlink_to(REPO_ROOT / name)
    shutil.rmtree(exercise / "starter")
    shutil.copytree(exercise / "solution", exercise / "starter")
    return exercise


def child_env(state: Path) -> dict[str, str]:
    """The environment of a child run: the services' endpoints (exported by `local_service`), its
    own state directory (the learner's progress is not touched), nothing pointing at this tree."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOOTCAMP_IMPL", "PYTHONPATH")}
    return {**env, "BOOTCAMP_STATE_DIR": str(state), "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Run:
    code: int | None       # None: the child was killed by our timeout
    output: str


def run_tests(exercise: Path, tests: tuple[str, ...], env: dict[str, str]) -> Run:
    root = exercise.parent.parent
    argv = [sys.executable, "-m", "pytest", *(f"exercises/{exercise.name}/{t}" for t in tests),
            "--impl=starter", "-q", "-p", "no:cacheprovider", f"--timeout={CHILD_TIMEOUT_S}"]
    try:
        done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False,
                              timeout=CHILD_TIMEOUT_S * len(tests) + 120)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return Run(None, out)
    return Run(done.returncode, done.stdout + done.stderr)


def imported_from(root: Path, env: dict[str, str], exercise: str) -> list[str]:
    """Where a child started as the tests are (`python -m`, cwd at the tree) imports the platform and
    the exercise's starter from."""
    script = (f"import bootcamp.testing.plugin as p, exercises.{exercise}.starter as s; "
              "print(p.__file__); print(s.__file__)")
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True,
                          text=True, check=True, timeout=120)
    return done.stdout.split()


def verdict(mistake: Mistake, run: Run) -> str | None:
    """Why this run does not show the check rejecting the mistake for the right reason, or None."""
    tail = run.output[-2500:]
    if run.code is None:
        return f"{mistake.name}: the run was killed after {CHILD_TIMEOUT_S}s\n{tail}"
    if "Timeout" in run.output and "+++" in run.output:
        return f"{mistake.name}: a test timed out instead of failing\n{tail}"
    if NOT_IMPLEMENTED_REPORT.search(run.output):
        return f"{mistake.name}: failed as 'not implemented yet', not on the mistake\n{tail}"
    if run.code != 1:
        return f"{mistake.name}: exit code {run.code}, not 1 (the check must reject it)\n{tail}"
    if mistake.expect not in run.output:
        return f"{mistake.name}: the output lacks {mistake.expect!r}\n{tail}"
    return None


def grade_catalogue(folder: Path, mistakes: list[Mistake], work: Path) -> list[str]:
    """Run the baseline and every mistake (at most PARALLEL at once); the problems found."""
    baseline_tests = tuple(dict.fromkeys(t for m in mistakes for t in m.tests))

    def baseline() -> list[str]:
        exercise = build_tree(work / "baseline", folder)
        env = child_env(work / "baseline" / "state")
        where = imported_from(exercise.parent.parent, env, folder.name)
        problems = [f"the child imports {path} from outside the copy" for path in where
                    if not Path(path).is_relative_to(work / "baseline")]
        run = run_tests(exercise, baseline_tests, env)
        if run.code != 0:
            problems.append(f"the solution copied into starter/ fails its tests (exit {run.code})\n"
                            f"{run.output[-2500:]}")
        return problems

    def one(mistake: Mistake) -> Callable[[], list[str]]:
        def job() -> list[str]:
            exercise = build_tree(work / mistake.name, folder)
            path = exercise / "starter" / mistake.file
            path.write_text(mistake.apply(path.read_text()))
            env = child_env(work / mistake.name / "state")
            found = verdict(mistake, run_tests(exercise, mistake.tests, env))
            return [found] if found else []
        return job

    jobs = [baseline, *(one(m) for m in mistakes)]
    with ThreadPoolExecutor(max_workers=1 if folder.name in ONE_AT_A_TIME else PARALLEL) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    return [problem for found in results for problem in found]


GRADED = [(exercise_id, folder, path) for exercise_id, folder in BUILT
          if (path := catalogue_of(folder)) is not None]


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(1800)  # a whole catalogue: the children have their own, shorter, timeouts
@pytest.mark.parametrize(("exercise_id", "folder", "catalogue"), GRADED,
                         ids=[f"{e}-{p.parent.name}" for e, _, p in GRADED])
def test_every_wrong_answer_is_rejected_and_the_solution_as_starter_passes(
        exercise_id: str, folder: Path, catalogue: Path, tmp_path: Path,
        local_service: Callable[[str], str]) -> None:
    for service in registry.load(exercise_id).services_for_tests:
        local_service(service)   # started once; the children see it through the environment
    problems = grade_catalogue(folder, load_catalogue(catalogue), tmp_path)
    assert problems == [], "\n\n".join(problems)


@pytest.mark.parametrize(("run", "reason"), [
    (Run(1, "E   AssertionError: committed offsets moved past a failed delivery\n1 failed"), None),
    (Run(0, "3 passed"), "exit code 0, not 1"),
    (Run(1, "E   AssertionError: something else\n1 failed"), "the output lacks"),
    (Run(1, "not implemented yet: transform.uppercase\n1 failed"), "not implemented yet"),
    (Run(1, "FAILED tests/t.py::test_a - not implemented yet: transform.uppercase"), "not implemented yet"),
    (Run(1, '    start = line.find("not implemented yet")\nE   AssertionError: timed out\n1 error'),
     "the output lacks"),
    (Run(1, "+++++++ Timeout +++++++\nFailed: Timeout >150.0s committed offsets moved"), "timed out"),
    (Run(None, ""), "killed after"),
    (Run(5, "no tests ran"), "exit code 5"),
])
def test_a_mistake_counts_as_caught_only_when_it_fails_on_its_own_message(run: Run,
                                                                          reason: str | None) -> None:
    mistake = Mistake("commit-early", "l", "f.py", "a", "b", "committed offsets moved", ("tests/t.py",))
    found = verdict(mistake, run)
    assert (found is None) if reason is None else (found is not None and reason in found)
