"""Event-time semantics pinned down with TestStream: window boundaries, on-time, late and too-late data.

TestStream drives the watermark by hand, so these tests say exactly which pane each element lands in,
independent of wall-clock time (unlike the emulator test, where the watermark is the wall clock).
They run on the BundleBasedDirectRunner, named explicitly: it is the runner that implements TestStream
(the DirectRunner alias would pick it too, after checking the graph, but these say what they mean).
Scenario (10 s windows, 20 s allowed lateness, accumulating panes):

  t=1 "a b a", t=9.999 "b", t=10 "a"          9.999 is in [0,10); 10 opens [10,20)
  watermark -> 10                             [0,10) fires ON_TIME: a=2 b=2
  t=5 "a"                                     late but within lateness: LATE pane a=3 (accumulated)
  watermark -> 20                             [10,20) fires ON_TIME: a=1
  watermark -> 31                             [0,10) expired at 10+20=30
  t=6 "a"                                     too late: dropped, no pane at all
  t=15 "b"                                    [10,20) still open until 40: LATE pane b=1
  watermark -> end
"""

from __future__ import annotations

import json
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing import test_stream
from apache_beam.transforms.window import TimestampedValue

from exercises.ex02_pubsub_beam_wordcount.streaming import LOCAL_RUNNER

_collected: list[dict[str, Any]] = []


def _collect(message: bytes) -> None:
    _collected.append(json.loads(message))


def run_stream(impl: Any, stream: test_stream.TestStream, window_s: float,
               lateness_s: float) -> list[dict[str, Any]]:
    """Run the impl's CountWordsInWindows over `stream` on the BundleBasedDirectRunner; the outputs."""
    _collected.clear()
    options = PipelineOptions(flags=[])
    options.view_as(StandardOptions).streaming = True
    options.view_as(StandardOptions).runner = LOCAL_RUNNER
    with beam.Pipeline(options=options) as pipeline:
        (pipeline
         | stream
         | impl.pipeline.CountWordsInWindows(window_s, lateness_s)
         | beam.Map(_collect))
    return list(_collected)


def key(result: dict[str, Any]) -> tuple[str, str, int, str, int]:
    return (result["word"], result["window_start"][-3:-1], result["count"], result["timing"],
            result["pane_index"])


@pytest.fixture
def scenario() -> test_stream.TestStream:
    return (test_stream.TestStream()
            .add_elements([TimestampedValue("a b a", 1), TimestampedValue("b", 9.999),
                           TimestampedValue("a", 10)])
            .advance_watermark_to(10)
            .add_elements([TimestampedValue("a", 5)])
            .advance_watermark_to(20)
            .advance_watermark_to(31)
            .add_elements([TimestampedValue("a", 6), TimestampedValue("b", 15)])
            .advance_watermark_to_infinity())


def test_on_time_late_and_too_late_panes(impl: Any, scenario: test_stream.TestStream) -> None:
    results = run_stream(impl, scenario, window_s=10, lateness_s=20)
    panes = {(r["word"], r["window_start"][-3:-1], r["timing"]): r for r in results}
    assert ("a", "00", "ON_TIME") in panes, (
        f"no ON_TIME pane for 'a' in [0,10) when the watermark passed 10: {sorted(map(key, results))}")
    late = panes.get(("a", "00", "LATE"))
    assert late is not None, (
        "the late element (t=5, arriving with the watermark at 10) produced no LATE pane: within the "
        "allowed lateness (20 s) it must still update its window and fire a pane for it "
        "(WindowInto's allowed_lateness, and a late firing: AfterWatermark(late=AfterCount(1)))")
    assert late["count"] != 1, (
        "the LATE pane for 'a' in [0,10) says 1, the late element alone: panes must ACCUMULATE (carry "
        "the window's total, 3), or a consumer that keeps the highest pane_index loses the on-time 2")
    assert late["count"] == 3, f"the LATE pane for 'a' in [0,10) should carry the total 3: {late}"
    assert ("b", "10", "LATE") in panes, (
        "the late element at t=15 (the watermark at 31, 11 s after its window [10,20) closed, within "
        "the allowed lateness of 20 s) was dropped: WindowInto needs "
        "allowed_lateness=Duration.of(allowed_lateness_s), or window state is gone when the watermark passes")
    assert panes[("a", "00", "LATE")]["count"] != 4, (
        "the element at t=6, behind end + allowed lateness (10 + 20 = 30 < 31), was counted")
    # window_start seconds are the last two digits of the RFC 3339 start ("...T00:00:10Z" -> "10").
    assert sorted(key(r) for r in results) == sorted([
        ("a", "00", 2, "ON_TIME", 0), ("b", "00", 2, "ON_TIME", 0),
        ("a", "00", 3, "LATE", 1),
        ("a", "10", 1, "ON_TIME", 0),
        ("b", "10", 1, "LATE", 0),
    ])


def test_window_bounds_are_half_open(impl: Any) -> None:
    stream = (test_stream.TestStream()
              .add_elements([TimestampedValue("edge", 4.999), TimestampedValue("edge", 5.0),
                             TimestampedValue("edge", 9.999999)])
              .advance_watermark_to_infinity())
    results = run_stream(impl, stream, window_s=5, lateness_s=0)
    by_window = {(r["window_start"], r["window_end"]): r["count"] for r in results}
    assert by_window == {("1970-01-01T00:00:00Z", "1970-01-01T00:00:05Z"): 1,
                         ("1970-01-01T00:00:05Z", "1970-01-01T00:00:10Z"): 2}


def test_zero_lateness_drops_anything_behind_the_watermark(impl: Any) -> None:
    stream = (test_stream.TestStream()
              .add_elements([TimestampedValue("kept", 1)])
              # 11, not 10: Python's trigger driver expires a window only once the watermark is
              # strictly past end + lateness (Java uses the window's max timestamp, end - 1 ms).
              .advance_watermark_to(11)
              .add_elements([TimestampedValue("dropped", 2)])
              .advance_watermark_to_infinity())
    results = run_stream(impl, stream, window_s=10, lateness_s=0)
    assert [(r["word"], r["count"], r["timing"]) for r in results] == [("kept", 1, "ON_TIME")]


@pytest.mark.parametrize(("text", "words"), [
    ("The cat's toy, the CAT.", ["the", "cat's", "toy", "the", "cat"]),
    ("non-empty (really) 42 times", ["non", "empty", "really", "times"]),
    ("   ", []),
    ("'quoted' words", ["quoted", "words"]),
])
def test_split_words(impl: Any, text: str, words: list[str]) -> None:
    got = impl.pipeline.split_words(text)
    assert got == words, (
        f"split_words({text!r}) gave {got}, not {words}: words must be normalised (lower-cased, "
        "punctuation and digits dropped), or 'The' and 'the,' are counted as two different words")
