"""The pytest plugin every exercise's tests use (enabled in pyproject's addopts).

- `--impl starter|solution` picks whose code the tests grade; the `impl` fixture imports from it, and
  the session-scoped `impl_name` fixture names it for fixtures that start the implementation in a
  subprocess or a server. `make test` grades the solution; `bootcamp check exNN` grades the starter,
  and runs every test whose fixture closure holds `impl_name` (which `impl` requests).
- Under `--impl starter` the outcome of each test is kept in `.bootcamp/progress/exNN.json`
  (`bootcamp progress`, `watch` and `hint` read it; the format is in `bootcamp.grading`).
- `--bootcamp-record FILE` grades every test, deselecting none, and records for each whether it ran
  the starter's code (in this process, or in a subprocess pointed at it): the contract test that
  no test which runs the learner's code escapes `bootcamp check` reads it.
- A test that reaches a starter's `NotImplementedError` is reported as "not implemented yet: ...",
  not as a traceback into the learner's stub.
- `local_service("kafka")` and the `kafka_bootstrap` fixture give a running service: an external one
  named by the environment, one already running, or one started here and stopped at the end.
- `browser` is a headless Chromium (Debian's, driven by Playwright), one per test module.
- Under CI (`CI=true`) a skipped test fails: a missing part must be installed by the project, never
  quietly skipped.
- Under pytest-xdist (`make test` runs `-n 3 --dist loadfile`: a file's tests stay on one worker, so
  its module fixtures start once, except the per-exercise platform tests listed in
  `bootcamp.testing.scheduling`, which go one by one) the workers share the services: the first to
  need one starts it (the start is locked), none stops it, and the controller stops at the end every
  service the run started.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, ClassVar

import pytest

from bootcamp import grading
from bootcamp.services import all_services, get_service
from bootcamp.testing.browser import browser  # noqa: F401  # a module's Chromium, a fixture

IMPLS = ("solution", "starter")
NOT_IMPLEMENTED = "not implemented yet"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl", choices=IMPLS, default=os.environ.get("BOOTCAMP_IMPL", "solution"),
        help="grade the reference solution (default) or the learner's starter",
    )
    parser.addoption(
        "--bootcamp-record", metavar="FILE", default=None,
        help="run every test (none deselected) and write, per test, whether it ran the starter's code",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Subprocesses started by tests (transformers, servers) read the same switch.
    os.environ["BOOTCAMP_IMPL"] = config.getoption("--impl")
    config.pluginmanager.register(_Outcomes(config), "bootcamp-outcomes")
    record = config.getoption("--bootcamp-record")
    if record:
        config.stash[_TRACKER] = _Tracker(Path(record))
        _Tracker.install(config.stash[_TRACKER])


def grades_the_implementation(item: pytest.Item) -> bool:
    """A test grades the implementation when its fixture closure holds `impl_name`.

    `impl` requests it, and so must every fixture that starts the implementation in a subprocess or
    a server (never read `--impl` or BOOTCAMP_IMPL directly: the grader could not see it).
    """
    return "impl_name" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Grading a starter runs only the tests that exercise the learner's code.

    Tests of the provided parts (deploy templates, configuration) pass whatever the learner wrote, so
    they would only blur the grade; `make test` runs them against the solution.
    """
    if config.getoption("--impl") != "starter":
        return
    graded = [item for item in items if grades_the_implementation(item)]
    tracker = config.stash.get(_TRACKER, None)
    if tracker is not None:  # recording: run them all, and remember which a check would run
        tracker.selected = {item.nodeid for item in graded}
        return
    skipped = [item for item in items if item not in graded]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = graded


class Implementation:
    """The chosen implementation package of one exercise; attributes import its modules lazily."""

    def __init__(self, package: str) -> None:
        self.package = package

    def module_name(self, name: str) -> str:
        return f"{self.package}.{name}"

    def __getattr__(self, name: str) -> ModuleType:
        if name.startswith("_"):
            raise AttributeError(name)
        module = self.module_name(name)
        try:
            return importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:  # no such module: behave like any missing attribute
                raise AttributeError(f"{self.package} has no module {name!r}") from None
            raise


def exercise_package(path: Path) -> str:
    """`exercises.ex01_kafka_transform` for any file inside that exercise: the dotted name of the
    exercise folder (the one holding `exercise.py`) up to the first folder that is not a package."""
    folder = exercise_folder_of(path)
    if folder is None:
        raise pytest.UsageError(f"{path} is not inside an exercise (no exercise.py above it)")
    names = [folder.name]
    parent = folder.parent
    while (parent / "__init__.py").is_file():
        names.insert(0, parent.name)
        parent = parent.parent
    return ".".join(names)


@pytest.fixture(scope="session")
def impl_name(pytestconfig: pytest.Config) -> str:
    """`solution` or `starter`: request it in any fixture that starts the implementation (a server, a
    subprocess, a staged deploy tree), so that `bootcamp check` grades every test using that fixture."""
    name: str = pytestconfig.getoption("--impl")
    return name


@pytest.fixture
def impl(request: pytest.FixtureRequest, impl_name: str) -> Implementation:
    """The implementation under test (solution or starter) of the exercise this test belongs to."""
    return Implementation(f"{exercise_package(request.path)}.{impl_name}")


# -- "not implemented yet" --------------------------------------------------------------------------
def _not_implemented(excinfo: pytest.ExceptionInfo[BaseException] | None) -> BaseException | None:
    if excinfo is None:
        return None
    exc: BaseException | None = excinfo.value
    while exc is not None:
        if isinstance(exc, NotImplementedError) or NOT_IMPLEMENTED in str(exc):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _is_not_implemented(report: pytest.TestReport) -> bool:
    return isinstance(report.longrepr, str) and report.longrepr.startswith(NOT_IMPLEMENTED)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    found = _not_implemented(call.excinfo) if report.failed else None
    if found is not None:
        detail = str(found).strip() or "a function still raises NotImplementedError"
        if NOT_IMPLEMENTED not in detail:
            detail = f"{NOT_IMPLEMENTED}: {detail}"
        report.longrepr = detail
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where every part must be present: {reason}"


# -- outcomes: the learner's progress, and the record of what each test ran -------------------------
_TRACKER = pytest.StashKey["_Tracker"]()


class _Outcomes:
    """One outcome per test (setup, call and teardown folded: the worst wins), written at the end:
    the learner's progress under `--impl starter`, or the record under `--bootcamp-record`."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: dict[str, str] = {}
        self.failures: dict[str, str] = {}   # why a test failed (its phase and the report's tail)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            outcome = grading.NOT_IMPLEMENTED if _is_not_implemented(report) else grading.FAILED
        elif report.skipped:
            outcome = grading.SKIPPED
        else:
            outcome = grading.PASSED
        previous = self.outcomes.get(report.nodeid)
        if previous is None or grading.OUTCOME_RANK[outcome] > grading.OUTCOME_RANK[previous]:
            self.outcomes[report.nodeid] = outcome
            if outcome == grading.FAILED:
                self.failures[report.nodeid] = f"{report.when}: {str(report.longrepr)[-1500:]}"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        items: Sequence[pytest.Item] = getattr(session, "items", ())
        tracker = self.config.stash.get(_TRACKER, None)
        if tracker is not None:
            tracker.uninstall()
            tracker.write(items, self.outcomes, self.failures)
        elif self.config.getoption("--impl") == "starter" and self.outcomes:
            _write_progress(items, self.outcomes)


def exercise_folder_of(path: Path) -> Path | None:
    """The exercise folder (the one holding `exercise.py`) that `path` lies in, if any."""
    for parent in path.resolve().parents:
        if (parent / "exercise.py").is_file():
            return parent
    return None


def relative_node_id(item: pytest.Item, folder: Path) -> str:
    """`tests/test_x.py::test_y[p]`: a node id relative to the exercise folder, as hints.toml names it."""
    test = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else ""
    file = item.path.resolve().relative_to(folder).as_posix()
    return f"{file}::{test}" if test else file


def _write_progress(items: Sequence[pytest.Item], outcomes: dict[str, str]) -> None:
    by_exercise: dict[Path, dict[str, str]] = {}
    for item in items:
        folder = exercise_folder_of(item.path)
        if folder is None or item.nodeid not in outcomes:
            continue
        by_exercise.setdefault(folder, {})[relative_node_id(item, folder)] = outcomes[item.nodeid]
    for folder, tests in by_exercise.items():
        exercise_id = grading.exercise_id_of(folder)
        if exercise_id:
            grading.record_progress(exercise_id, tests)


_STARTER_MODULE = re.compile(r"\.starter(\.|$)")
_STARTER_WORD = re.compile(r"\bstarter\b")
_EXERCISE_CODE = re.compile(r"exercises[./]ex\d\d")
_SOLUTION_CODE = re.compile(r"[./]solution([./]|$)")


class _Tracker:
    """Which tests ran the starter's code: an audit hook and a profiler, for `--bootcamp-record`.

    In this process, a test ran the starter when a function or module body of a file in an
    exercise's `starter/` executed while it was current (the profiler sees every call, including
    calls into modules imported earlier by other tests), or when it imported a `*.starter.*` module.
    A subprocess runs the starter when its command names the starter (`--impl starter`, a
    `.starter.` module, `-e BOOTCAMP_IMPL=starter` for a container), when its explicit environment
    sets a switch to `starter` (`IMPL=starter` for a staging script), or when it is a Python process
    running an exercise's code (not the solution's) with BOOTCAMP_IMPL=starter in its environment.
    """

    active: ClassVar[_Tracker | None] = None
    _hooked: ClassVar[bool] = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.current: str | None = None
        self.touched: dict[str, str] = {}
        self.selected: set[str] = set()
        self._starter_files: dict[str, bool] = {}

    @classmethod
    def install(cls, tracker: _Tracker) -> None:
        if not cls._hooked:
            sys.addaudithook(cls._audit)   # hooks cannot be removed: it checks `active` first
            cls._hooked = True
        cls.active = tracker
        sys.setprofile(tracker._profile)
        threading.setprofile(tracker._profile)

    def trace(self, nodeid: str) -> None:
        """Watch the test about to run, unless `bootcamp check` grades it: the rule concerns only the
        tests it does not grade, and the profiler slows every Python call (a third of the recorded
        run's time), so a graded test runs without it, and so do the threads it starts."""
        graded = nodeid in self.selected
        self.current = None if graded else nodeid
        profile = None if graded else self._profile
        sys.setprofile(profile)
        threading.setprofile(profile)

    def uninstall(self) -> None:
        sys.setprofile(None)
        threading.setprofile(None)
        type(self).active = None

    def _note(self, evidence: str) -> None:
        if self.current is not None and self.current not in self.touched:
            self.touched[self.current] = evidence

    def _is_starter_file(self, filename: str) -> bool:
        known = self._starter_files.get(filename)
        if known is None:
            path = Path(filename)
            parts = path.parts
            known = any(part == "starter" and (Path(*parts[:i]) / "exercise.py").is_file()
                        for i, part in enumerate(parts[:-1]))
            self._starter_files[filename] = known
        return known

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and self.current is not None and self.current not in self.touched \
                and self._is_starter_file(frame.f_code.co_filename):
            self._note(f"ran {frame.f_code.co_filename}:{frame.f_code.co_name}")

    @classmethod
    def _audit(cls, event: str, args: tuple[Any, ...]) -> None:
        tracker = cls.active
        if tracker is None or tracker.current is None or tracker.current in tracker.touched:
            return
        if event == "import" and isinstance(args[0], str) and _STARTER_MODULE.search(args[0]):
            tracker._note(f"imported {args[0]}")
        elif event == "subprocess.Popen":
            executable, argv, _cwd, env = args
            evidence = _starts_starter(executable, argv, env)
            if evidence:
                tracker._note(evidence)

    def write(self, items: Sequence[pytest.Item], outcomes: dict[str, str],
              failures: dict[str, str]) -> None:
        tests = {item.nodeid: {"graded": item.nodeid in self.selected,
                               "ran_starter": self.touched.get(item.nodeid),
                               "outcome": outcomes.get(item.nodeid),
                               "failure": failures.get(item.nodeid)} for item in items}
        self.path.write_text(json.dumps({"tests": tests}, indent=1))


def _starts_starter(executable: object, argv: object, env: object) -> str | None:
    """Why a subprocess with this command and environment runs the starter's code, or None."""
    words = [os.fsdecode(a) for a in (argv if isinstance(argv, list | tuple) else [argv])
             if isinstance(a, str | bytes | os.PathLike)]
    command = " ".join(words)
    shown = command if len(command) < 200 else command[:200] + "..."
    if _STARTER_WORD.search(command):
        return f"started `{shown}`"
    if isinstance(env, dict):
        for key, value in env.items():
            if os.fsdecode(key) != "BOOTCAMP_IMPL" and os.fsdecode(value) == "starter":
                return f"started `{shown}` with {os.fsdecode(key)}=starter"
    effective = env if isinstance(env, dict) else os.environ
    program = os.path.basename(os.fsdecode(executable) if isinstance(executable, str | bytes) else
                               (words[0] if words else ""))
    if re.fullmatch(r"python[\d.]*", program) and effective.get("BOOTCAMP_IMPL") == "starter" \
            and _EXERCISE_CODE.search(command) and not _SOLUTION_CODE.search(command):
        return f"started `{shown}` with BOOTCAMP_IMPL=starter"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, Any, None]:
    tracker = item.config.stash.get(_TRACKER, None)
    if tracker is not None:
        tracker.trace(item.nodeid)
    yield
    if tracker is not None:
        tracker.current = None


# -- services ---------------------------------------------------------------------------------------
def _xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


_RUNNING_BEFORE = pytest.StashKey[set[str]]()


def _owned_services() -> set[str]:
    """The services this project started and that run now under the state directory."""
    return {name for name, cls in all_services().items() if cls().status().pid is not None}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile` with the per-exercise platform tests spread one by one
    (`bootcamp.testing.scheduling`); any other `--dist` is xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from bootcamp.testing.scheduling import make_scheduler

    return make_scheduler(config, log)


def pytest_sessionstart(session: pytest.Session) -> None:
    if _xdist_controller(session.config):
        session.config.stash[_RUNNING_BEFORE] = _owned_services()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller of an xdist run stops what its workers started (they leave services running:
    another worker may still use them)."""
    before = config.stash.get(_RUNNING_BEFORE, None)
    if before is None:
        return
    for name in sorted(_owned_services() - before):
        get_service(name).stop()


@pytest.fixture(scope="session")
def local_service(pytestconfig: pytest.Config) -> Iterator[Callable[[str], str]]:
    """`local_service(name)` -> endpoint, starting the service if needed (stopped at session end,
    or, under xdist, at the end of the whole run by the controller)."""
    started: list[str] = []
    endpoints: dict[str, str] = {}

    def ensure(name: str) -> str:
        if name not in endpoints:
            service = get_service(name)
            already = service.external_endpoint() or service.running_endpoint()
            endpoints[name] = already or service.start()
            if not already:
                started.append(name)
            os.environ.update(service.env_for(endpoints[name]))
        return endpoints[name]

    yield ensure
    if hasattr(pytestconfig, "workerinput"):
        return
    gc.collect()  # close clients the tests dropped, before their broker goes away under them
    for name in reversed(started):
        get_service(name).stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(local_service: Callable[[str], str]) -> str:
    """A Kafka broker's bootstrap address; also exported as KAFKA_BOOTSTRAP_SERVERS."""
    return local_service("kafka")
