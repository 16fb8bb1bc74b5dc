"""Every built exercise keeps the contract: manifest, README sections, starter mirroring solution,
and an untouched starter that fails its grading with "not implemented yet"."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bootcamp import exercises as registry
from bootcamp.paths import REPO_ROOT

BUILT = sorted(registry.exercise_folders().items())
README_SECTIONS = ["What you will learn", "How it works", "Run it", "Check yourself",
                   "Deploy to the cloud", "Tune it", "Known limits"]


def public_api(package: str) -> dict[str, str]:
    """`module.name` -> signature of every public function, class and method in a package.

    Read in a fresh interpreter: importing a solution and its starter into one process can clash in
    global registries (Beam registers every PipelineOptions subclass, for one), which would poison
    every later test in this session.
    """
    script = f"""
import importlib, inspect, json, pkgutil
api = {{}}
pkg = importlib.import_module({package!r})
for info in pkgutil.iter_modules(pkg.__path__):
    module = importlib.import_module(f"{package}.{{info.name}}")
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            api[f"{{info.name}}.{{name}}"] = str(inspect.signature(obj))
        elif inspect.isclass(obj):
            api[f"{{info.name}}.{{name}}"] = "class"
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) and not attr.startswith("_"):
                    api[f"{{info.name}}.{{name}}.{{attr}}"] = str(inspect.signature(member))
print(json.dumps(api))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=300, check=True)
    loaded: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_starter_mirrors_the_solution(exercise_id: str, folder: Path) -> None:
    solution = public_api(f"exercises.{folder.name}.solution")
    starter = public_api(f"exercises.{folder.name}.starter")
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
@pytest.mark.parametrize(("exercise_id", "folder"), BUILT, ids=[e for e, _ in BUILT])
def test_untouched_starter_fails_every_test_with_not_implemented(exercise_id: str, folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(folder / "tests"), "--impl=starter", "-q",
         "-p", "no:cacheprovider"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 1, result.stdout[-3000:]
    failed = int(re.search(r"(\d+) failed", summary).group(1))  # type: ignore[union-attr]
    assert "passed" not in summary, summary
    assert failed >= 1
    assert result.stdout.count("not implemented yet") >= failed, result.stdout[-3000:]
