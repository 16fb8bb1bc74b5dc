"""Realistic wrong answers to ex05, each one small edit to the reference solution, that the check must
reject with a message naming the mistake (the format: `bootcamp/grading.py`)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="windows-by-arrival-time",
        lesson="Windows keyed by the time a reading arrives, not the time it was measured: a backlog "
               "read after an outage lands in one window, and a reconnecting sensor's readings count "
               "in the wrong second.",
        file="windows.py",
        old="        start = event.time_ms - event.time_ms % self.window_ms\n",
        new="        arrival = __import__(\"time\").time_ns() // 1_000_000\n"
            "        start = arrival - arrival % self.window_ms\n",
        expect="windows by arrival time instead of event time",
        tests=("tests/test_windows.py::test_windows_follow_event_time_not_arrival_time",
               "tests/test_windows.py::test_aggregates_equal_an_offline_computation_from_the_same_readings"),
    ),
    Mistake(
        name="late-within-bound-dropped",
        lesson="A reading for a window that has already fired is dropped, though it is within the "
               "allowed lateness: the lateness bound is there so such readings update the window.",
        file="windows.py",
        old="        if watermark is not None and start + self.window_ms + self.lateness_ms <= watermark:\n",
        new="        if watermark is not None and start + self.window_ms <= watermark:\n",
        expect="a late reading within the allowed lateness must update its window",
        tests=("tests/test_windows.py::test_a_late_reading_within_the_bound_updates_its_window",),
    ),
    Mistake(
        name="unbounded-client-queue",
        lesson="Each client's queue is unbounded: a client that stops reading makes the server hold "
               "every frame for it, for ever, until memory runs out; it is never told to reconnect.",
        file="fanout.py",
        old="        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size)\n",
        new="        self.queue: asyncio.Queue[str | None] = asyncio.Queue()\n",
        expect="an unbounded queue grows without limit",
        tests=("tests/test_fanout.py::test_a_stuck_client_never_slows_publish_and_is_closed_when_its_queue_is_full",),
    ),
    Mistake(
        name="send-awaited-inline",
        lesson="publish awaits each client's send in turn: one client that stops reading blocks the "
               "send, and with it every other client and the consumer behind publish.",
        file="fanout.py",
        old="        for client in list(self.clients):\n            self._offer(client, text)\n",
        new="        for client in list(self.clients):\n            await client.send(text)\n",
        expect="a slow client delayed the others",
        tests=("tests/test_fanout.py::test_a_stuck_client_never_slows_publish_and_is_closed_when_its_queue_is_full",
               "tests/test_pipeline.py::test_a_slow_websocket_client_does_not_delay_the_others"),
    ),
    Mistake(
        name="commit-past-open-windows",
        lesson="The checkpoint is the next offset after the last one read, so the readings of windows "
               "still open (not yet emitted in full) are committed: a restarted consumer never sees them "
               "again, and those windows come out short.",
        file="windows.py",
        old="                point.offset = min(point.offset, window.first_offset)\n",
        new="                pass\n",
        expect="open window still need",
        tests=("tests/test_windows.py::test_the_checkpoint_is_the_oldest_offset_an_open_window_needs",
               "tests/test_checkpoints.py::test_a_restarted_group_resumes_from_the_committed_checkpoint"),
    ),
    Mistake(
        name="resume-from-latest",
        lesson="A reconnecting client gets only what is published from now on, not what it missed after "
               "its last sequence number: every reconnect leaves a gap in its aggregates.",
        file="fanout.py",
        old="        backlog = [text for seq, text in self._replay if since is not None and seq > since]\n",
        new="        backlog: list[str] = []\n",
        expect="resuming from the latest instead of the client's seq",
        tests=("tests/test_fanout.py::test_a_resuming_client_gets_every_aggregate_after_its_seq",
               "tests/test_pipeline.py::test_a_resuming_client_gets_every_aggregate_after_its_seq"),
    ),
]
