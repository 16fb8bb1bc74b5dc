"""The pytest plugin's own rules, checked by running small test files through pytest itself."""

from __future__ import annotations

import pytest

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
