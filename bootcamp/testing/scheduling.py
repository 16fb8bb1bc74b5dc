"""How `make test` spreads its tests over pytest-xdist workers: by file, except the per-exercise tests
of the grader and the benches, which go one by one.

`--dist loadfile` keeps a file's tests on one worker, so that its module and session fixtures (a
broker, a Flink job run, a Cassandra node) start once. But a few platform files hold one slow test per
exercise, each independent of the others: the catalogue of wrong answers (several pytest children per
exercise), the untouched starter's run, the quick bench. By file, every exercise's run of them would
queue on one worker, and that worker alone would decide the suite's wall time, the more so with each
new exercise. So those tests are their own units of work; everything else stays grouped by file.

Units go out longest first, alternating between the two kinds, so that two workers do not both start
on a unit that forks heavy children at once: the per-test units by kind in the order of
`SPREAD_ONE_BY_ONE` (a catalogue runs several children, 50-130 s; the Flink cluster's recovery test,
60-75 s; an untouched starter's run, 30-100 s; a quick bench, 10-70 s), then files by number of
tests. Longest first matters at the end: a catalogue started last would run alone while the other
workers idle (collection order put all of them last).
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
from xdist.scheduler.loadfile import LoadFileScheduling
from xdist.workermanage import WorkerController

#: Tests (node id prefixes) that are each their own unit of work: one per exercise, independent, slow;
#: the slowest kind first (the queue's order).
SPREAD_ONE_BY_ONE = (
    "bootcamp/tests/test_mistakes.py::test_every_wrong_answer_is_rejected",
    "bootcamp/tests/test_flink_service.py::test_the_job_survives_losing_its_task_manager",
    "bootcamp/tests/test_exercise_contract.py::test_untouched_starter_fails_every_graded_test",
    "bootcamp/tests/test_benches.py::test_quick_bench_",
)


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: itself when it is listed above, else its file."""
    if nodeid.startswith(SPREAD_ONE_BY_ONE):
        return nodeid
    return nodeid.split("::", 1)[0]


def interleaved(units: OrderedDict[str, dict[str, bool]]) -> OrderedDict[str, dict[str, bool]]:
    """The queue in the order described above: single spread tests and files, one of each in turn."""
    single = sorted((key for key in units if "::" in key), key=_kind)
    files = sorted((key for key in units if "::" not in key), key=lambda key: -len(units[key]))
    order: list[str] = []
    for index in range(max(len(single), len(files))):
        order.extend(queue[index] for queue in (single, files) if index < len(queue))
    return OrderedDict((key, units[key]) for key in order)


def _kind(unit: str) -> int:
    """The position of the unit's prefix in SPREAD_ONE_BY_ONE (its expected cost, highest first)."""
    return next((i for i, prefix in enumerate(SPREAD_ONE_BY_ONE) if unit.startswith(prefix)),
                len(SPREAD_ONE_BY_ONE))


class FileOrTestScheduling(LoadFileScheduling):
    """`loadfile`, with the per-exercise platform tests spread one by one (see the module's docstring)."""

    _ordered = False
    workqueue: OrderedDict[str, dict[str, bool]]  # xdist's: unit -> {node id: done}

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def _assign_work_unit(self, node: WorkerController) -> None:
        if not self._ordered:  # the queue is complete by the first assignment: order it once
            self.workqueue = interleaved(self.workqueue)
            self._ordered = True
        super()._assign_work_unit(node)


def make_scheduler(config: pytest.Config, log: object) -> FileOrTestScheduling:
    return FileOrTestScheduling(config, log)
