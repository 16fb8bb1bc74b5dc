"""The streaming word count: Pub/Sub in, event-time fixed windows with late firings, JSON out.

    ReadFromPubSub(timestamp_attribute="ts")      event time from the message, not publish time
      -> DecodeUtf8 ---------------------------->  undecodable bytes -> dead-letter topic (+ counter)
      -> CountWordsInWindows:
           split_words -> FixedWindows(size)
                       -> trigger AfterWatermark(late=AfterCount(1)), allowed lateness, ACCUMULATING
                       -> Count.PerElement -> format_result (word, count, window, pane timing)
      -> WriteToPubSub(output_topic)

The same code runs on the BundleBasedDirectRunner against the emulator and on Dataflow against
Pub/Sub; only flags differ (`--runner DataflowRunner --project ... --region ...`). Accumulating panes
mean each firing carries the window's total so far: a consumer keeps the pane with the highest
`pane_index` per (word, window), and a late pane replaces the on-time one instead of being added to it.
Decoding, dead letters and running the job are provided (`../streaming.py`).
"""

from __future__ import annotations

import json
import re

import apache_beam as beam
from apache_beam.transforms.trigger import AccumulationMode, AfterCount, AfterWatermark
from apache_beam.transforms.window import FixedWindows, IntervalWindow
from apache_beam.utils.timestamp import Duration
from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from exercises.ex02_pubsub_beam_wordcount.options import WordCountOptions
from exercises.ex02_pubsub_beam_wordcount.streaming import (  # provided
    DEAD_LETTER,
    DecodeUtf8,
    FormatPanes,
    main,
)

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def split_words(text: str) -> list[str]:
    """Lower-cased words (letters, with an inner apostrophe: "don't"); punctuation and digits dropped."""
    return _WORD.findall(text.lower())


def format_result(word: str, count: int, window: IntervalWindow, pane: PaneInfo) -> bytes:
    """One output message: JSON with the word, its count, the window bounds and the pane's timing.

    `timing` is EARLY, ON_TIME or LATE; `pane_index` grows with each firing of the window;
    `is_last` is true on the final pane (when the window expires).
    """
    return json.dumps({
        "word": word,
        "count": count,
        "window_start": window.start.to_rfc3339(),
        "window_end": window.end.to_rfc3339(),
        "timing": PaneInfoTiming.to_string(pane.timing),
        "pane_index": pane.index,
        "is_last": pane.is_last,
    }, separators=(",", ":")).encode("utf-8")


class CountWordsInWindows(beam.PTransform):  # type: ignore[misc]  # Beam's classes are untyped
    """Lines of text -> one JSON message per (word, window, firing)."""

    def __init__(self, window_size_s: float, allowed_lateness_s: float) -> None:
        super().__init__()
        self.window_size_s = window_size_s
        self.allowed_lateness_s = allowed_lateness_s

    def expand(self, lines: beam.PCollection) -> beam.PCollection:
        return (
            lines
            | "Split" >> beam.FlatMap(split_words)
            | "Window" >> beam.WindowInto(
                FixedWindows(self.window_size_s),
                # One pane when the watermark passes the window's end, then one per late element.
                trigger=AfterWatermark(late=AfterCount(1)),
                allowed_lateness=Duration.of(self.allowed_lateness_s),
                accumulation_mode=AccumulationMode.ACCUMULATING)
            | "Count" >> beam.combiners.Count.PerElement()
            | "Format" >> beam.ParDo(FormatPanes(format_result))
        )


def build(pipeline: beam.Pipeline, options: WordCountOptions) -> None:
    """Attach the whole streaming graph to `pipeline`."""
    messages = pipeline | "Read" >> beam.io.ReadFromPubSub(
        subscription=options.input_subscription, timestamp_attribute="ts",
        id_label=options.id_label or None)
    decoded = messages | "Decode" >> beam.ParDo(DecodeUtf8()).with_outputs(DEAD_LETTER, main="text")
    (decoded.text
     | "CountWords" >> CountWordsInWindows(options.window_size_s, options.allowed_lateness_s)
     | "Write" >> beam.io.WriteToPubSub(options.output_topic))
    decoded[DEAD_LETTER] | "DeadLetter" >> beam.io.WriteToPubSub(options.dead_letter_topic)


if __name__ == "__main__":
    main(build)
