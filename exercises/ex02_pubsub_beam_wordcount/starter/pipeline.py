"""Your part of the streaming word count: words, windows and triggers, the output format, the graph.

    ReadFromPubSub(timestamp_attribute="ts")      event time from the message, not publish time
      -> DecodeUtf8 (provided) ----------------->  undecodable bytes -> dead-letter topic
      -> CountWordsInWindows:
           split_words -> FixedWindows(size)
                       -> trigger AfterWatermark(late=AfterCount(1)), allowed lateness, ACCUMULATING
                       -> Count.PerElement -> format_result (word, count, window, pane timing)
      -> WriteToPubSub(output_topic)

Provided in `../streaming.py` and imported below: `DEAD_LETTER`, `DecodeUtf8` (bytes -> text, bad
bytes to a tagged dead-letter output), `FormatPanes(format_result)` (a DoFn that calls your formatter
with each element's window and pane) and `main` (parses the flags, runs the job, stops it on a signal).
`python -m exercises.ex02_pubsub_beam_wordcount.starter.pipeline --help` runs your graph.
"""

from __future__ import annotations

import re

import apache_beam as beam
from apache_beam.transforms.window import IntervalWindow
from apache_beam.utils.windowed_value import PaneInfo

from exercises.ex02_pubsub_beam_wordcount.options import WordCountOptions
from exercises.ex02_pubsub_beam_wordcount.streaming import (  # noqa: F401  # provided; re-exported
    DEAD_LETTER,
    DecodeUtf8,
    FormatPanes,
    main,
)

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def split_words(text: str) -> list[str]:
    """Lower-cased words (letters, with an inner apostrophe: "don't"); punctuation and digits dropped."""
    raise NotImplementedError("split_words: lower-case the text and return its words (the _WORD regex)")


def format_result(word: str, count: int, window: IntervalWindow, pane: PaneInfo) -> bytes:
    """One output message: JSON with the word, its count, the window bounds and the pane's timing.

    `timing` is EARLY, ON_TIME or LATE; `pane_index` grows with each firing of the window;
    `is_last` is true on the final pane (when the window expires).
    """
    raise NotImplementedError(
        "format_result: JSON bytes with word, count, window_start/window_end (window.start.to_rfc3339()), "
        "timing (PaneInfoTiming.to_string(pane.timing)), pane_index (pane.index) and is_last")


class CountWordsInWindows(beam.PTransform):  # type: ignore[misc]  # Beam's classes are untyped
    """Lines of text -> one JSON message per (word, window, firing)."""

    def __init__(self, window_size_s: float, allowed_lateness_s: float) -> None:
        super().__init__()
        self.window_size_s = window_size_s
        self.allowed_lateness_s = allowed_lateness_s

    def expand(self, lines: beam.PCollection) -> beam.PCollection:
        raise NotImplementedError(
            "CountWordsInWindows.expand: FlatMap(split_words), WindowInto FixedWindows(self.window_size_s) "
            "with trigger AfterWatermark(late=AfterCount(1)), allowed_lateness and ACCUMULATING panes, "
            "then Count.PerElement and ParDo(FormatPanes(format_result))")


def build(pipeline: beam.Pipeline, options: WordCountOptions) -> None:
    """Attach the whole streaming graph to `pipeline`."""
    raise NotImplementedError(
        "build: ReadFromPubSub(subscription=..., timestamp_attribute='ts', "
        "id_label=options.id_label or None) labelled 'Read', "
        "ParDo(DecodeUtf8()).with_outputs(DEAD_LETTER, main='text') as 'Decode', "
        "CountWordsInWindows as 'CountWords', WriteToPubSub to the output topic as 'Write' and the "
        "dead letters to options.dead_letter_topic as 'DeadLetter'")


if __name__ == "__main__":
    main(build)
