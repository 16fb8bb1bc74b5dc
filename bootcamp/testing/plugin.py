"""The pytest plugin every exercise's tests use (enabled in pyproject's addopts).

- `--impl starter|solution` picks whose code the tests grade; the `impl` fixture imports from it.
  `make test` grades the solution; `bootcamp check exNN` grades the starter.
- A test that reaches a starter's `NotImplementedError` is reported as "not implemented yet: ...",
  not as a traceback into the learner's stub.
- `local_service("kafka")` and the `kafka_bootstrap` fixture give a running service: an external one
  named by the environment, one already running, or one started here and stopped at the end.
- Under CI (`CI=true`) a skipped test fails: a missing part must be installed by the project, never
  quietly skipped.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bootcamp.paths import EXERCISES_DIR
from bootcamp.services import get_service

IMPLS = ("solution", "starter")
NOT_IMPLEMENTED = "not implemented yet"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl", choices=IMPLS, default=os.environ.get("BOOTCAMP_IMPL", "solution"),
        help="grade the reference solution (default) or the learner's starter",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Subprocesses started by tests (transformers, servers) read the same switch.
    os.environ["BOOTCAMP_IMPL"] = config.getoption("--impl")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Grading a starter runs only the tests that exercise the learner's code (those using `impl`).

    Tests of the provided parts (deploy templates, configuration) pass whatever the learner wrote, so
    they would only blur the grade; `make test` runs them against the solution.
    """
    if config.getoption("--impl") != "starter":
        return
    graded = [item for item in items if "impl" in getattr(item, "fixturenames", ())]
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
    """`exercises.ex01_kafka_transform` for any file inside that exercise."""
    relative = path.resolve().relative_to(EXERCISES_DIR)
    return f"exercises.{relative.parts[0]}"


@pytest.fixture
def impl(request: pytest.FixtureRequest) -> Implementation:
    """The implementation under test (solution or starter) of the exercise this test belongs to."""
    which = request.config.getoption("--impl")
    return Implementation(f"{exercise_package(request.path)}.{which}")


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


# -- services ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def local_service() -> Iterator[Callable[[str], str]]:
    """`local_service(name)` -> endpoint, starting the service if needed (stopped at session end)."""
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
    gc.collect()  # close clients the tests dropped, before their broker goes away under them
    for name in reversed(started):
        get_service(name).stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(local_service: Callable[[str], str]) -> str:
    """A Kafka broker's bootstrap address; also exported as KAFKA_BOOTSTRAP_SERVERS."""
    return local_service("kafka")
