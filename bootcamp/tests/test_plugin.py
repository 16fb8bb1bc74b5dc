"""The pytest plugin's own rules, checked by running small test files through pytest itself."""

from __future__ import annotations

import json

import pytest

from bootcamp.testing.plugin import _starts_starter

pytest_plugins = ["pytester"]

SKIPPING = """
import pytest

def test_needs_a_part():
    pytest.skip("the frobnicator is not installed")
"""

STUB = """
def test_calls_a_stub():
    def uppercase(value):
        raise NotImplementedError("transform.uppercase: decode, upper-case and encode")
    assert uppercase(b"x") == b"X"
"""


def test_a_skip_is_a_failure_under_ci(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-p", "bootcamp.testing.plugin")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*skipped under CI*frobnicator is not installed*"])


def test_a_skip_outside_ci_stays_a_skip_with_its_reason(pytester: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(SKIPPING)
    result = pytester.runpytest("-p", "bootcamp.testing.plugin", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*frobnicator is not installed*"])


def test_a_stub_is_reported_as_not_implemented_yet(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(STUB)
    result = pytester.runpytest("-p", "bootcamp.testing.plugin")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["not implemented yet: transform.uppercase: decode*"])
    assert "Traceback" not in result.stdout.str()


# -- which tests `bootcamp check` grades, and the record that proves none escapes -------------------
SCRATCH = {
    "ex99_demo/__init__.py": "",
    "ex99_demo/exercise.py": '"""A scratch exercise: the folder that holds exercise.py."""\n',
    "ex99_demo/solution/__init__.py": "",
    "ex99_demo/solution/core.py": "def shout(text):\n    return text.upper()\n",
    "ex99_demo/starter/__init__.py": "",
    "ex99_demo/starter/core.py": ("def shout(text):\n"
                                  "    raise NotImplementedError('core.shout: upper-case the text')\n"),
    "ex99_demo/tests/__init__.py": "",
    "ex99_demo/tests/test_demo.py": '''
import importlib
import os
import subprocess
import sys

import pytest


def core(which):
    return importlib.import_module(f"ex99_demo.{which}.core")


@pytest.fixture
def wired(impl_name):
    """Well wired: the fixture asks for impl_name."""
    return core(impl_name)


@pytest.fixture
def reads_the_option(request):
    """Badly wired: reads --impl itself, so the grader cannot see that it uses the implementation."""
    return core(request.config.getoption("--impl"))


@pytest.fixture
def server_of_the_impl():
    """Badly wired: starts the implementation in a subprocess, chosen by BOOTCAMP_IMPL."""
    which = os.environ["BOOTCAMP_IMPL"]
    return subprocess.run([sys.executable, "-c", "print(1)", f"ex99_demo.{which}.core"], check=True)


def test_graded(wired):
    assert wired.shout("a") == "A"


def test_a_second_graded_test_of_an_imported_module(wired):
    assert wired.shout("b") == "B"


def test_badly_wired_in_process(reads_the_option):
    assert reads_the_option.shout("a") == "A"


def test_badly_wired_subprocess(server_of_the_impl):
    assert server_of_the_impl.returncode == 0


def test_a_provided_part():
    assert "ex99" in __name__


def test_hard_wired_to_the_solution():
    assert core("solution").shout("a") == "A"
''',
}


def write_scratch(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in SCRATCH.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(pytester.path / "state"))


def unwired(record: dict[str, dict[str, object]]) -> dict[str, object]:
    """The contract: every test that ran the starter's code is one that `bootcamp check` grades."""
    return {node: test["ran_starter"] for node, test in record.items()
            if test["ran_starter"] and not test["graded"]}


def test_check_grades_the_tests_whose_fixtures_ask_for_the_implementation(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_scratch(pytester, monkeypatch)
    result = pytester.runpytest_subprocess("-p", "bootcamp.testing.plugin", "--impl=starter",
                                           "--collect-only", "-q", "ex99_demo")
    collected = [line.split("::")[-1] for line in result.stdout.lines if "::" in line]
    assert collected == ["test_graded", "test_a_second_graded_test_of_an_imported_module"]
    result.stdout.fnmatch_lines(["2/6 tests collected (4 deselected)*"])


def test_the_record_catches_a_badly_wired_fixture_in_process_and_in_a_subprocess(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_scratch(pytester, monkeypatch)
    record = pytester.path / "record.json"
    pytester.runpytest_subprocess("-p", "bootcamp.testing.plugin", "--impl=starter",
                                  f"--bootcamp-record={record}", "ex99_demo")
    tests = {node.split("::")[-1]: test for node, test in json.loads(record.read_text())["tests"].items()}
    assert len(tests) == 6, "recording deselects nothing"
    assert tests["test_graded"]["graded"]
    assert tests["test_graded"]["outcome"] == "not implemented"
    # Graded tests are not traced (the rule is about the others). The module was imported by the first
    # test; the badly wired one that runs later is caught by the profiler, in the call into it.
    assert tests["test_a_second_graded_test_of_an_imported_module"]["ran_starter"] is None
    found = unwired({node.split("::")[-1]: test for node, test in tests.items()})
    assert set(found) == {"test_badly_wired_in_process", "test_badly_wired_subprocess"}
    assert "core.py:shout" in str(found["test_badly_wired_in_process"])
    assert "ex99_demo.starter.core" in str(found["test_badly_wired_subprocess"])
    assert tests["test_a_provided_part"]["ran_starter"] is None
    assert tests["test_hard_wired_to_the_solution"]["ran_starter"] is None


@pytest.mark.parametrize(("argv", "env", "runs"), [
    (["python", "-m", "exercises.ex08_x.server", "--impl", "starter"], None, True),
    (["podman", "run", "-e", "BOOTCAMP_IMPL=starter", "img"], None, True),
    (["bash", "stage.sh", "/tmp/out"], {"IMPL": "starter", "PATH": "/bin"}, True),
    (["/usr/bin/python3.11", "-m", "exercises.ex03_x.server"], {"BOOTCAMP_IMPL": "starter"}, True),
    (["python", "-m", "exercises.ex06_x.solution.enricher"], {"BOOTCAMP_IMPL": "starter"}, False),
    (["python", "-m", "exercises.ex03_x.server"], {"BOOTCAMP_IMPL": "solution"}, False),
    (["bash", "exercises/ex01_x/deploy/build.sh"], {"BOOTCAMP_IMPL": "starter"}, False),
    (["java", "-jar", "kafka.jar"], None, False),
])
def test_a_subprocess_runs_the_starter_when_its_command_or_environment_says_so(
        argv: list[str], env: dict[str, str] | None, runs: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTCAMP_IMPL", "solution")
    assert (_starts_starter(argv[0], argv, env) is not None) is runs


def test_a_check_keeps_each_tests_outcome_as_the_learners_progress(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    write_scratch(pytester, monkeypatch)
    pytester.runpytest_subprocess("-p", "bootcamp.testing.plugin", "--impl=starter", "ex99_demo")
    progress = json.loads((pytester.path / "state/progress/ex99.json").read_text())
    assert progress["exercise"] == "ex99"
    assert progress["tests"] == {
        "tests/test_demo.py::test_graded": "not implemented",
        "tests/test_demo.py::test_a_second_graded_test_of_an_imported_module": "not implemented"}
    # A later check of one test updates that one and keeps the other's last outcome.
    (pytester.path / "ex99_demo/starter/core.py").write_text("def shout(text):\n    return text.upper()\n")
    pytester.runpytest_subprocess("-p", "bootcamp.testing.plugin", "--impl=starter",
                                  "ex99_demo/tests/test_demo.py::test_graded")
    progress = json.loads((pytester.path / "state/progress/ex99.json").read_text())
    assert progress["tests"]["tests/test_demo.py::test_graded"] == "passed"
    assert progress["tests"]["tests/test_demo.py::test_a_second_graded_test_of_an_imported_module"] == \
        "not implemented"
    # Grading the solution records nothing.
    pytester.runpytest_subprocess("-p", "bootcamp.testing.plugin", "--impl=solution", "ex99_demo")
    assert json.loads((pytester.path / "state/progress/ex99.json").read_text()) == progress


SHARED_SERVICE = """
import os


def test_one(local_service):
    assert local_service("redis")
    open(os.environ["SEEN"] + "/" + os.environ["PYTEST_XDIST_WORKER"], "w").write(os.environ["REDIS_URL"])


def test_two(local_service):
    assert local_service("redis")
"""


@pytest.mark.integration
def test_xdist_workers_share_one_server_and_the_controller_stops_it_at_the_end(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make test` runs two workers: each file's tests on one, both asking for the same service.
    The first start is locked, the second worker reuses it, no worker stops it while the other may
    still use it, and the controller stops it when the whole run ends."""
    from bootcamp.services.redis import RedisService

    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(pytester.path / "state"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("BOOTCAMP_REDIS_PORT", raising=False)
    monkeypatch.setenv("SEEN", str(pytester.path))
    pytester.makepyfile(test_a=SHARED_SERVICE, test_b=SHARED_SERVICE)
    result = pytester.runpytest_subprocess("-p", "bootcamp.testing.plugin", "-n", "2", "--dist", "loadfile")
    result.assert_outcomes(passed=4)
    urls = {(pytester.path / worker).read_text() for worker in ("gw0", "gw1")}
    assert len(urls) == 1, f"the workers started a server each: {urls}"
    assert RedisService().status().pid is None, "the server outlived the run"
