"""Realistic wrong answers to ex02, each one small edit to the solution that the check must reject."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="processing-time",
        lesson="Reading without timestamp_attribute stamps elements with the publish time, so a late or "
               "replayed event is counted in the minute it was published, not the minute it happened.",
        file="pipeline.py",
        old='subscription=options.input_subscription, timestamp_attribute="ts",',
        new="subscription=options.input_subscription,",
        expect="windows follow the publish time, not the event time",
        tests=("tests/test_end_to_end.py::test_windows_follow_the_event_time_attribute",),
    ),
    Mistake(
        name="no-event-time-attribute",
        lesson="A producer that does not stamp `ts` leaves the pipeline no event time to window by.",
        file="generator.py",
        old='{"ts": str(event_time_ms), "id": message_id}',
        new='{"id": message_id}',
        expect="`ts` must carry the event time",
        tests=("tests/test_generator.py::test_message_carries_event_time_and_id",),
    ),
    Mistake(
        name="discarding-panes",
        lesson="DISCARDING panes carry only what arrived since the last firing; a consumer that replaces "
               "a window's result by the newest pane then loses every earlier count.",
        file="pipeline.py",
        old="accumulation_mode=AccumulationMode.ACCUMULATING)",
        new="accumulation_mode=AccumulationMode.DISCARDING)",
        expect="panes must ACCUMULATE",
        tests=("tests/test_windowing.py::test_on_time_late_and_too_late_panes",),
    ),
    Mistake(
        name="no-allowed-lateness",
        lesson="Without allowed lateness a window's state is dropped as soon as the watermark passes its "
               "end, so data that is late by any amount is lost.",
        file="pipeline.py",
        old="                allowed_lateness=Duration.of(self.allowed_lateness_s),\n",
        new="",
        expect="within the allowed lateness of 20 s) was dropped",
        tests=("tests/test_windowing.py::test_on_time_late_and_too_late_panes",),
    ),
    Mistake(
        name="no-late-firing",
        lesson="AfterWatermark() alone fires once and finishes, so late data within the allowed lateness "
               "could never be reported; Beam refuses such a trigger at construction (MAY_FINISH).",
        file="pipeline.py",
        old="trigger=AfterWatermark(late=AfterCount(1)),",
        new="trigger=AfterWatermark(),",
        expect="may lose data",
        tests=("tests/test_windowing.py::test_on_time_late_and_too_late_panes",),
    ),
    Mistake(
        name="window-after-count",
        lesson="Counting before windowing groups an unbounded stream in the global window, which never "
               "closes; Beam refuses it at construction.",
        file="pipeline.py",
        old='''            | "Window" >> beam.WindowInto(
                FixedWindows(self.window_size_s),
                # One pane when the watermark passes the window's end, then one per late element.
                trigger=AfterWatermark(late=AfterCount(1)),
                allowed_lateness=Duration.of(self.allowed_lateness_s),
                accumulation_mode=AccumulationMode.ACCUMULATING)
            | "Count" >> beam.combiners.Count.PerElement()
''',
        new='''            | "Count" >> beam.combiners.Count.PerElement()
            | "Window" >> beam.WindowInto(
                FixedWindows(self.window_size_s),
                trigger=AfterWatermark(late=AfterCount(1)),
                allowed_lateness=Duration.of(self.allowed_lateness_s),
                accumulation_mode=AccumulationMode.ACCUMULATING)
''',
        expect="global windowing and a default trigger",
        tests=("tests/test_windowing.py::test_window_bounds_are_half_open",),
    ),
    Mistake(
        name="words-not-normalised",
        lesson="Splitting on whitespace counts 'The', 'the' and 'the,' as three words.",
        file="pipeline.py",
        old="return _WORD.findall(text.lower())",
        new="return text.split()",
        expect="words must be normalised",
        tests=("tests/test_windowing.py::test_split_words",),
    ),
]
