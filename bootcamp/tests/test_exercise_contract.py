"""Every built exercise keeps the contract: manifest, README sections, starter mirroring solution,
and an untouched starter that fails its grading with "not implemented yet"."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bootcamp import exercises as registry
from bootcamp.paths import REPO_ROOT

BUILT = sorted(registry.exercise_folders().items())
README_SECTIONS = ["What you will learn", "How it works", "Run it", "Check yourself",
                   "Deploy to the cloud", "Tune it", "Known limits"]


def public_api(package: Path) -> dict[str, str]:
    """`module.name` -> signature of every public function, class and method defined in a package's
    modules, read from their source.

    Parsed, not imported: importing sixteen solutions and starters (Beam, MLflow, JAX) took a minute of
    CPU in fresh interpreters, and one process cannot import both (Beam registers every PipelineOptions
    subclass globally). The source says the same: what is defined at the top of a module and in its
    classes, with the parameters and return annotation as written.
    """
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)

    def signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
        return f"({ast.unparse(node.args)}){returns}"

    api: dict[str, str] = {}
    for path in sorted(package.glob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, functions) and not node.name.startswith("_"):
                api[f"{path.stem}.{node.name}"] = signature(node)
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                api[f"{path.stem}.{node.name}"] = "class"
                for member in node.body:
                    if isinstance(member, functions) and not member.name.startswith("_"):
                        api[f"{path.stem}.{node.name}.{member.name}"] = signature(member)
    return api


@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_starter_mirrors_the_solution(exercise_id: str, folder: Path) -> None:
    solution = public_api(folder / "solution")
    starter = public_api(folder / "starter")
    assert solution, "the solution has public code"
    assert starter == solution


@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_manifest_and_readme(exercise_id: str, folder: Path) -> None:
    manifest = registry.load(exercise_id)
    assert manifest.id == exercise_id
    assert manifest.title == registry.CATALOG[exercise_id]
    readme = (folder / "README.md").read_text()
    headings = re.findall(r"^#+ (.+)$", readme, flags=re.MULTILINE)
    for section in README_SECTIONS:
        assert any(h.startswith(section) for h in headings), f"README lacks '{section}'"
    assert (folder / "deploy").is_dir()
    assert any((folder / "deploy").iterdir()), "deploy/ holds the cloud artifacts"


@pytest.mark.slow
@pytest.mark.timeout(1200)  # every test of the exercise, in a child with its own per-test timeout
@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_untouched_starter_fails_every_graded_test_and_every_test_that_runs_it_is_graded(
        exercise_id: str, folder: Path, tmp_path: Path, local_service: Callable[[str], str]) -> None:
    """Every test of the exercise runs against the untouched starter, none deselected, while the
    plugin records which ran the starter's code (in the test process, or in a subprocess pointed at
    it). Two rules: each test `bootcamp check` grades fails with "not implemented yet"; and each test
    that ran the starter is one `bootcamp check` grades (else its fixtures read the switch themselves
    instead of asking for `impl_name`, and the check would silently skip it)."""
    for service in registry.load(exercise_id).services_for_tests:
        local_service(service)   # the child finds them through the environment: it starts none
    tests = _run_against_the_starter([str(folder / "tests")], tmp_path / "record.json")
    graded = {node: test for node, test in tests.items() if test["graded"]}
    assert graded, "the check grades some tests"
    unwired = {node: test["ran_starter"] for node, test in tests.items()
               if test["ran_starter"] and not test["graded"]}
    assert unwired == {}, "these tests run the learner's code but `bootcamp check` deselects them"
    passing = sorted(node for node, test in graded.items() if test["outcome"] == "passed")
    assert passing == [], "these graded tests pass against the untouched starter: they cannot fail"
    # A graded test that failed for another reason (a broker call timing out under the load of the
    # whole suite, say) runs once more on its own: the rule is about the starter, which is the same
    # both times; one that fails otherwise again is reported with why, both times.
    failed = sorted(node for node, test in graded.items() if test["outcome"] != "not implemented")
    if failed:
        again = _run_against_the_starter(failed, tmp_path / "record-again.json")
        still = {node: [graded[node]["failure"], again.get(node, {}).get("failure")] for node in failed
                 if again.get(node, {}).get("outcome") != "not implemented"}
        assert still == {}, "these graded tests fail against the starter, twice, other than as " \
                            "'not implemented yet'"


def _run_against_the_starter(targets: list[str], record: Path) -> dict[str, dict[str, object]]:
    """Run `targets` (a tests folder, or node ids) against the starter, none deselected, recording
    for each test whether the check grades it, whether it ran the starter, and its outcome."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *targets, "--impl=starter", "-q",
         "-p", "no:cacheprovider", f"--bootcamp-record={record}"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert record.is_file(), result.stdout[-3000:] + result.stderr[-2000:]
    tests: dict[str, dict[str, object]] = json.loads(record.read_text())["tests"]
    return tests


NO_DIRECT_SWITCH = re.compile(r"""getoption\(\s*["']--impl["']|environ\s*\[\s*["']BOOTCAMP_IMPL["']\s*\]"""
                              r"""|(?:environ\.get|getenv)\(\s*["']BOOTCAMP_IMPL["']""")


def test_tests_and_fixtures_ask_for_the_implementation_instead_of_reading_the_switch() -> None:
    """Static half of the rule above, fast: no test or fixture reads `--impl` or BOOTCAMP_IMPL, or
    imports a `solution`/`starter` module at the top of a test file (that grades one side always)."""
    found: list[str] = []
    for path in sorted(Path(REPO_ROOT, "exercises").glob("ex*/**/tests/**/*.py")):
        text = path.read_text()
        where = path.relative_to(REPO_ROOT)
        found += [f"{where}:{text[:m.start()].count(chr(10)) + 1}: {m.group(0)}"
                  for m in NO_DIRECT_SWITCH.finditer(text)]
        for node in ast.parse(text).body:
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            found += [f"{where}:{node.lineno}: imports {name}" for name in names
                      if {"solution", "starter"} & set(name.split("."))]
    assert found == [], "request the `impl` or `impl_name` fixture instead"


SERVICE_USE = re.compile(r"""local_service\(\s*["'](?P<name>[a-z0-9_-]+)["']\s*\)"""
                         r"""|\b(?P<kafka>kafka_bootstrap)\b""")


@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_every_service_the_tests_use_is_declared_by_the_manifest(exercise_id: str, folder: Path) -> None:
    """The harnesses that run an exercise's tests in children start `services_for_tests` once. A
    service they miss is started by a child in the state directory its siblings share, and stopped
    when that child ends, under a sibling still using it (ex14's recorded GitHub server once did
    that: a connection refused instead of the mistake's message)."""
    used: set[str] = set()
    for path in sorted((folder / "tests").glob("**/*.py")):
        for match in SERVICE_USE.finditer(path.read_text()):
            used.add("kafka" if match.group("kafka") else match.group("name"))
    declared = set(registry.load(exercise_id).services_for_tests)
    assert used - declared == set(), "add these to the manifest's services or test_services"
