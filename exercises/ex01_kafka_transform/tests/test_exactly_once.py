"""The exactly-once variant against the real broker: kills at known points of the transaction
protocol, an abort, and a zombie.

Every kill lands at a chosen point (the provided producer pauses there when `EX01_FAULT_*` asks it to,
and logs it), so each test fails deterministically on the wrong answer. The end of a run is not a
silence: it is the group's committed offsets reaching the input's end offsets (lag 0), after which
the output is read to its own end.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable

import pytest

from bootcamp.testing.processes import Spawned, Worker, wait_until
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.observer import read_topic
from exercises.ex01_kafka_transform.offsets import group_lag
from exercises.ex01_kafka_transform.runtime import EXIT_FENCED
from exercises.ex01_kafka_transform.tests.conftest import Feeder, StartTransformer, finished
from exercises.ex01_kafka_transform.tests.test_transformer import _send_slowly, keyed_values

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def caught_up(settings: TransformerSettings, sent: int) -> Callable[[], bool]:
    """True once the group has committed every input record (its lag on the input is 0)."""
    def check() -> bool:
        rows = group_lag(settings.group_id, settings.input_topic, settings.partitions)
        return sum(r.end for r in rows) >= sent and sum(r.lag for r in rows) == 0
    return check


def exactly_once_report(settings: TransformerSettings, pairs: list[tuple[bytes, bytes]]
                        ) -> tuple[list[bytes], int, int]:
    """(lost values, duplicates for read_committed, duplicates for read_uncommitted)."""
    committed = Counter(r.value for r in read_topic(settings.output_topic, timeout_s=30).records)
    dirty = Counter(r.value for r in read_topic(settings.output_topic, timeout_s=30,
                                                isolation="read_uncommitted").records)
    lost = [v for _, v in pairs if committed[v.upper()] == 0]
    return lost, sum(n - 1 for n in committed.values() if n > 1), sum(n - 1 for n in dirty.values() if n > 1)


def wait_for_line(process: Spawned, text: str, timeout_s: float, *watched: Spawned | Worker) -> None:
    wait_until(lambda: text in process.log(), timeout_s, f"{text!r} in the transformer's log",
               process, *watched, interval_s=0.2)


def test_sigkill_inside_an_open_transaction_then_restart_is_exactly_once(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer,
        record_property: Callable[[str, object], None]) -> None:
    settings = settings.model_copy(update={"batch_size": 50})
    pairs = keyed_values(3000)
    first = start_transformer(settings, "transactional", {"EX01_FAULT_PAUSE_IN_TRANSACTION_AT": "5"})
    sender = Worker(lambda: _send_slowly(feeder, settings.input_topic, pairs, per_second=400))
    sender.start()
    wait_for_line(first, "paused inside an open transaction", 90, sender)
    assert sender.is_alive(), "input must still be flowing when the transformer dies"
    first.signal(signal.SIGKILL)
    first.wait(10)

    second = start_transformer(settings, "transactional")
    sender.join(60)
    sender.check_alive()
    wait_until(caught_up(settings, len(pairs)), 120, "the group to commit every input", second)

    lost, duplicates, uncommitted_duplicates = exactly_once_report(settings, pairs)
    print(f"\nSIGKILL in a transaction: {len(pairs)} in; read_committed: {len(lost)} lost, {duplicates} "
          f"duplicates; read_uncommitted: {uncommitted_duplicates} duplicates (the aborted transaction)")
    record_property("uncommitted_duplicates", uncommitted_duplicates)
    assert lost == [], f"{len(lost)} records lost after the restart, e.g. {lost[:3]}"
    assert duplicates == 0, (f"read_committed readers saw {duplicates} duplicates: the outputs and the "
                             "input offsets were not committed in one transaction")
    assert uncommitted_duplicates > 0, ("the killed transaction's records must be in the log, aborted: "
                                        "read_uncommitted readers see them")


def test_sigkill_just_after_a_commit_then_restart_reprocesses_nothing(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer) -> None:
    settings = settings.model_copy(update={"batch_size": 50})
    pairs = keyed_values(1500)
    for key, value in pairs:
        feeder.send(settings.input_topic, key, value)
    feeder.flush()
    first = start_transformer(settings, "transactional", {"EX01_FAULT_PAUSE_AFTER_COMMIT_AT": "3"})
    wait_for_line(first, "paused after commit 3", 90)
    first.signal(signal.SIGKILL)
    first.wait(10)

    second = start_transformer(settings, "transactional")
    wait_until(caught_up(settings, len(pairs)), 120, "the group to commit every input", second)
    lost, duplicates, _ = exactly_once_report(settings, pairs)
    assert lost == [], f"{len(lost)} records lost, e.g. {lost[:3]}"
    assert duplicates == 0, (f"{duplicates} duplicates after a kill just after commit_transaction: the "
                             "input offsets must be committed inside the transaction "
                             "(send_offsets_to_transaction), not by the consumer afterwards")


def test_an_aborted_transaction_is_rewound_and_redone_losing_nothing(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer) -> None:
    settings = settings.model_copy(update={"batch_size": 50})
    pairs = keyed_values(1000)
    for key, value in pairs:
        feeder.send(settings.input_topic, key, value)
    feeder.flush()
    process = start_transformer(settings, "transactional", {"EX01_FAULT_ABORT_AT": "2"})
    wait_until(caught_up(settings, len(pairs)), 120, "the group to commit every input", process)
    assert "commit 2 fails with an abortable error" in process.log()

    lost, duplicates, uncommitted_duplicates = exactly_once_report(settings, pairs)
    assert lost == [], (f"{len(lost)} records lost after an abort, e.g. {lost[:3]}: after "
                        "abort_transaction the consumer must seek back to the committed offsets")
    assert duplicates == 0, f"read_committed readers saw {duplicates} duplicates"
    assert uncommitted_duplicates > 0, "the aborted batch's records are in the log, marked aborted"
    process.signal(signal.SIGTERM)
    assert process.wait(20) == 0, process.log()[-2000:]
    assert "aborted=1" in process.log(), "the stats line counts aborted transactions"


def test_a_zombie_with_the_same_transactional_id_is_fenced_and_stops(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer) -> None:
    settings = settings.model_copy(update={"batch_size": 50, "transactional_id": f"{settings.group_id}-x"})
    pairs = keyed_values(8000)
    older = start_transformer(settings, "transactional")
    sender = Worker(lambda: _send_slowly(feeder, settings.input_topic, pairs, per_second=400))
    sender.start()
    wait_until(lambda: len(read_topic(settings.output_topic, timeout_s=10).records) >= 200, 90,
               "the first instance's first outputs", older, sender)

    newer = start_transformer(settings, "transactional")  # same transactional.id: the older is a zombie
    code = finished(older, 60)
    assert code == EXIT_FENCED, f"the fenced instance must exit {EXIT_FENCED}:\n{older.log()[-2000:]}"
    reasons = [line for line in older.log().splitlines() if "ERROR ex01" in line]
    assert len(reasons) == 1, f"one line says why it stopped: {reasons}"
    assert "fenced" in reasons[0]
    assert sender.is_alive(), "input must still be flowing when the zombie is fenced"

    sender.join(60)
    sender.check_alive()
    wait_until(caught_up(settings, len(pairs)), 120, "the newer instance to commit every input", newer)
    lost, duplicates, _ = exactly_once_report(settings, pairs)
    assert lost == [], f"{len(lost)} records lost, e.g. {lost[:3]}"
    assert duplicates == 0, f"the zombie's writes reached read_committed readers: {duplicates} duplicates"
