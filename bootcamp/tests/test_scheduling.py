"""`make test`'s xdist scheduling: by file, with the per-exercise platform tests spread one by one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import pytest

from bootcamp.paths import REPO_ROOT
from bootcamp.testing.scheduling import SPREAD_ONE_BY_ONE, interleaved, unit_of

MISTAKES = "bootcamp/tests/test_mistakes.py::test_every_wrong_answer_is_rejected_and_the_solution_as_starter"


def test_a_listed_test_is_its_own_unit_and_the_rest_go_by_file() -> None:
    assert unit_of(f"{MISTAKES}_passes[ex01]") == f"{MISTAKES}_passes[ex01]"
    assert unit_of("exercises/ex01_kafka_transform/tests/test_transformer.py::test_x[a]") == \
        "exercises/ex01_kafka_transform/tests/test_transformer.py"
    assert unit_of("bootcamp/tests/test_mistakes.py::test_catalogue_problems_are_named") == \
        "bootcamp/tests/test_mistakes.py"


def test_units_alternate_between_single_tests_and_files_largest_file_first() -> None:
    queue = OrderedDict([("a.py", {"a.py::1": False}), ("t.py::x[1]", {"t.py::x[1]": False}),
                         ("b.py", {"b.py::1": False, "b.py::2": False}),
                         ("t.py::x[2]", {"t.py::x[2]": False}), ("t.py::x[3]", {"t.py::x[3]": False})])
    assert list(interleaved(queue)) == ["t.py::x[1]", "b.py", "t.py::x[2]", "a.py", "t.py::x[3]"]


def test_the_slowest_kind_of_spread_test_goes_out_first_whatever_the_collection_order() -> None:
    bench, starter, flink, catalogue = (f"{prefix}x[ex01]" for prefix in reversed(SPREAD_ONE_BY_ONE))
    queue = OrderedDict((key, {key: False}) for key in (bench, starter, "a.py", "b.py", flink, catalogue))
    assert list(interleaved(queue)) == [catalogue, "a.py", flink, "b.py", starter, bench]


@pytest.mark.parametrize("prefix", SPREAD_ONE_BY_ONE)
def test_every_listed_prefix_names_a_test_that_exists(prefix: str) -> None:
    path, name = prefix.split("::")
    assert f"def {name}" in (REPO_ROOT / path).read_text(), f"{prefix} names no test: the list has rotted"


@pytest.mark.slow
def test_two_workers_run_the_spread_tests_of_one_file_at_the_same_time(tmp_path: Path) -> None:
    """Each spread test waits (up to 60 s) until another has started: by file (xdist's `loadfile`)
    they would queue on one worker and the first would time out; spread, two run at once."""
    tests = tmp_path / "bootcamp" / "tests"
    tests.mkdir(parents=True)
    started = tmp_path / "started"
    started.mkdir()
    (tests / "test_mistakes.py").write_text(textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        import pytest

        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_every_wrong_answer_is_rejected_here(n):
            (Path({str(started)!r}) / str(n)).write_text(os.environ.get("PYTEST_XDIST_WORKER", ""))
            deadline = time.monotonic() + 60
            while len(list(Path({str(started)!r}).iterdir())) < 2:
                assert time.monotonic() < deadline, "no other spread test ran meanwhile"
                time.sleep(0.05)
        """))
    (tests / "test_other.py").write_text("def test_quick():\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile",
         "-p", "bootcamp.testing.plugin", "-p", "no:cacheprovider", "-o", "addopts=", str(tests)],
        cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    workers = {path.read_text() for path in started.iterdir()}
    assert len(workers) == 2, f"the spread tests ran on {workers}"
