"""The streaming word count: Pub/Sub in, event-time fixed windows with late firings, JSON out.

    ReadFromPubSub(timestamp_attribute="ts")      event time from the message, not publish time
      -> DecodeUtf8 ---------------------------->  undecodable bytes -> dead-letter topic (+ counter)
      -> CountWordsInWindows:
           split_words -> FixedWindows(size)
                       -> trigger AfterWatermark(late=AfterCount(1)), allowed lateness, ACCUMULATING
                       -> Count.PerElement -> format_result (word, count, window, pane timing)
      -> WriteToPubSub(output_topic)

The same code runs on the DirectRunner against the emulator and on Dataflow against Pub/Sub; only
flags differ (`--runner DataflowRunner --project ... --region ...`). Accumulating panes mean each
firing carries the window's total so far: a consumer keeps the pane with the highest `pane_index`
per (word, window), and a late pane replaces the on-time one instead of having to be added to it.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.transforms.window import IntervalWindow
from apache_beam.utils.windowed_value import PaneInfo

from exercises.ex02_pubsub_beam_wordcount.options import WordCountOptions

log = logging.getLogger(__name__)

DEAD_LETTER = "dead_letter"
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


class _FormatResult(beam.DoFn):  # type: ignore[misc]  # Beam's classes are untyped
    def process(self, element: tuple[str, int], window: Any = beam.DoFn.WindowParam,
                pane: Any = beam.DoFn.PaneInfoParam) -> Iterator[bytes]:
        word, count = element
        yield format_result(word, count, window, pane)


class CountWordsInWindows(beam.PTransform):  # type: ignore[misc]
    """Lines of text -> one JSON message per (word, window, firing)."""

    def __init__(self, window_size_s: float, allowed_lateness_s: float) -> None:
        super().__init__()
        self.window_size_s = window_size_s
        self.allowed_lateness_s = allowed_lateness_s

    def expand(self, lines: beam.PCollection) -> beam.PCollection:
        raise NotImplementedError(
            "CountWordsInWindows.expand: FlatMap(split_words), WindowInto FixedWindows(self.window_size_s) "
            "with trigger AfterWatermark(late=AfterCount(1)), allowed_lateness and ACCUMULATING panes, "
            "then Count.PerElement and ParDo(_FormatResult())")


class DecodeUtf8(beam.DoFn):  # type: ignore[misc]
    """Bytes -> text; anything else goes to the dead-letter output with the error and the original bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.bad = Metrics.counter("wordcount", "dead_lettered")

    def process(self, data: bytes) -> Iterator[Any]:
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.bad.inc()
            yield beam.pvalue.TaggedOutput(DEAD_LETTER, json.dumps({
                "error": f"not UTF-8: {exc}", "original_hex": data.hex()}).encode("utf-8"))


def check_options(options: WordCountOptions) -> None:
    """One clear line for a missing flag (they are not argparse-required: Beam parses every options
    class it knows on every `PipelineOptions()`, and a required flag would break unrelated pipelines)."""
    missing = [f"--{name}" for name in ("input_subscription", "output_topic", "dead_letter_topic")
               if not getattr(options, name)]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)} (full paths: projects/<p>/subscriptions/<s>, "
                         "projects/<p>/topics/<t>)")


def build(pipeline: beam.Pipeline, options: WordCountOptions) -> None:
    """Attach the whole streaming graph to `pipeline`."""
    raise NotImplementedError(
        "build: ReadFromPubSub(subscription=..., timestamp_attribute='ts', "
        "id_label=options.id_label or None) labelled 'Read', "
        "ParDo(DecodeUtf8()).with_outputs(DEAD_LETTER, main='text') as 'Decode', "
        "CountWordsInWindows as 'CountWords', WriteToPubSub to the output topic as 'Write' and the "
        "dead letters to options.dead_letter_topic as 'DeadLetter'")


def run(argv: Sequence[str] | None = None) -> int:
    """Build and run the pipeline; locally until SIGINT/SIGTERM, on Dataflow until the job is submitted.

    The DirectRunner's `wait_until_finish` never returns for a streaming job and cannot be interrupted
    cleanly, so it waits in a thread while the main thread waits for a signal, then cancels the job.
    A pull that is blocked on an idle subscription returns within 30 s, or at once if a message
    (a heartbeat) arrives; `bootcamp run` and the tests publish one before stopping.
    """
    options = PipelineOptions(list(argv) if argv is not None else sys.argv[1:])
    options.view_as(StandardOptions).streaming = True
    check_options(options.view_as(WordCountOptions))
    pipeline = beam.Pipeline(options=options)
    build(pipeline, options.view_as(WordCountOptions))
    result = pipeline.run()
    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    if "Dataflow" in str(runner):
        log.info("submitted Dataflow job %s", getattr(result, "job_id", lambda: "?")())
        return 0
    stop = threading.Event()
    failure: list[BaseException] = []

    def wait() -> None:
        try:
            result.wait_until_finish()
        except BaseException as exc:
            failure.append(exc)
        finally:
            stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=wait, name="beam-wait", daemon=True).start()
    print("pipeline running; SIGINT or SIGTERM stops it", flush=True)
    while not stop.wait(0.5):  # a timed wait lets the signal handler run promptly
        pass
    if failure:
        log.error("pipeline failed: %s", failure[0])
        return 1
    print("stopping the pipeline", flush=True)
    # cancel() asks the executor to stop, then joins its threads; one of them may be blocked in a
    # pull, which a heartbeat on the input releases. Nudge until the cancel completes.
    cancelling = threading.Thread(target=result.cancel, name="beam-cancel", daemon=True)
    cancelling.start()
    subscription = options.view_as(WordCountOptions).input_subscription
    while cancelling.is_alive():
        _nudge(subscription)
        cancelling.join(timeout=2.0)
    print("pipeline stopped", flush=True)
    return 0


def _nudge(subscription: str) -> None:
    """Publish a word-less heartbeat to the input so the DirectRunner's blocked pull returns now.

    Its Pub/Sub read blocks up to 30 s in `pull` on an idle subscription, and `cancel()` joins that
    thread. The heartbeat (one space, stamped now) counts no words and moves the watermark, so it is
    harmless to this and any other subscriber of the topic.
    """
    import time
    import uuid

    from google.cloud import pubsub_v1

    try:
        topic = pubsub_v1.SubscriberClient().get_subscription(request={"subscription": subscription}).topic
        pubsub_v1.PublisherClient().publish(
            topic, b" ", ts=str(time.time_ns() // 1_000_000), id=uuid.uuid4().hex, heartbeat="stop",
        ).result(timeout=10)
    except Exception as exc:  # the stop goes on; it only takes up to 30 s longer
        log.warning("could not nudge %s (%s); stopping may take up to 30 s", subscription, exc)


def main(argv: Iterable[str] | None = None) -> None:
    import faulthandler

    faulthandler.register(signal.SIGUSR1)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(run(list(argv) if argv is not None else None))


if __name__ == "__main__":
    main()
