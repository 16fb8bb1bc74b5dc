"""The provided half of the pipeline: decoding with a dead-letter output, pane formatting, and running
the graph a `build` function attaches, locally until a signal or on Dataflow until submitted.

The learner's `pipeline.py` holds the lesson (words, windows, triggers, the output format, the graph);
this module holds what every streaming job needs around it and is the same for the solution and the
starter. It imports nothing from the bootcamp platform, so the Flex Template image ships it as is.

Which runner runs locally, and why it is named: Beam 2.68+ resolves `--runner=DirectRunner` to the
SwitchingDirectRunner, which first tries Prism (downloading its binary from GitHub) for any pipeline
Prism claims to support, this one included, then falls back. Python's Pub/Sub IO is implemented only
by the BundleBasedDirectRunner (the `apache_beam.runners.direct` streaming executor) and Dataflow, so
a download that succeeds would hand this pipeline to a runner that cannot read Pub/Sub, and one that
fails costs a network round trip and a log line. `pipeline_options` therefore names
BundleBasedDirectRunner when no runner is given: what runs here never depends on a download.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import PipelineResult

from exercises.ex02_pubsub_beam_wordcount.options import WordCountOptions

log = logging.getLogger(__name__)

DEAD_LETTER = "dead_letter"
LOCAL_RUNNER = "BundleBasedDirectRunner"
"""The runner used when none is named: Beam's streaming DirectRunner, the one that reads Pub/Sub."""

Build = Callable[[beam.Pipeline, WordCountOptions], None]


class FormatPanes(beam.DoFn):  # type: ignore[misc]  # Beam's classes are untyped
    """(word, count) -> `format(word, count, window, pane)`: hands a formatter the element's window and
    pane, which only a DoFn parameter (`WindowParam`, `PaneInfoParam`) can see."""

    def __init__(self, format_result: Callable[[str, int, Any, Any], bytes]) -> None:
        super().__init__()
        self.format_result = format_result

    def process(self, element: tuple[str, int], window: Any = beam.DoFn.WindowParam,
                pane: Any = beam.DoFn.PaneInfoParam) -> Iterator[bytes]:
        word, count = element
        yield self.format_result(word, count, window, pane)


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
        raise SystemExit(f"error: missing {', '.join(missing)} (full paths: projects/<p>/subscriptions/<s>, "
                         "projects/<p>/topics/<t>)")


def pipeline_options(argv: Sequence[str]) -> PipelineOptions:
    """Streaming options from the command line, with the local runner named when none is given."""
    options = PipelineOptions(list(argv))
    standard = options.view_as(StandardOptions)
    standard.streaming = True
    if not standard.runner:
        standard.runner = LOCAL_RUNNER
    return options


def start(build: Build, argv: Sequence[str]) -> tuple[beam.Pipeline, PipelineResult]:
    """Build the graph with `build` and start it (non-blocking on every runner used here)."""
    options = pipeline_options(argv)
    check_options(options.view_as(WordCountOptions))
    pipeline = beam.Pipeline(options=options)
    build(pipeline, options.view_as(WordCountOptions))
    return pipeline, pipeline.run()


def run(build: Build, argv: Sequence[str] | None = None) -> int:
    """Run the pipeline; locally until SIGINT/SIGTERM, on Dataflow until the job is submitted.

    The BundleBasedDirectRunner's `wait_until_finish` never returns for a streaming job and cannot be
    interrupted cleanly, so it waits in a thread while the main thread waits for a signal, then
    cancels the job. A pull that is blocked on an idle subscription returns within 30 s, or at once if
    a message (a heartbeat) arrives; `bootcamp run` and the tests publish one before stopping.
    """
    pipeline, result = start(build, list(argv) if argv is not None else sys.argv[1:])
    runner = type(pipeline.runner).__name__
    if "Dataflow" in runner:
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
    print(f"pipeline running on {runner}; SIGINT or SIGTERM stops it", flush=True)
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
    subscription = pipeline.options.view_as(WordCountOptions).input_subscription
    while cancelling.is_alive():
        _nudge(subscription)
        cancelling.join(timeout=2.0)
    print("pipeline stopped", flush=True)
    return 0


def _nudge(subscription: str) -> None:
    """Publish a word-less heartbeat to the input so the direct runner's blocked pull returns now.

    Its Pub/Sub read blocks up to 30 s in `pull` on an idle subscription, and `cancel()` joins that
    thread. The heartbeat (one space, stamped now) counts no words and moves the watermark, so it is
    harmless to this and any other subscriber of the topic.
    """
    from google.cloud import pubsub_v1

    try:
        topic = pubsub_v1.SubscriberClient().get_subscription(request={"subscription": subscription}).topic
        pubsub_v1.PublisherClient().publish(
            topic, b" ", ts=str(time.time_ns() // 1_000_000), id=uuid.uuid4().hex, heartbeat="stop",
        ).result(timeout=10)
    except Exception as exc:  # the stop goes on; it only takes up to 30 s longer
        log.warning("could not nudge %s (%s); stopping may take up to 30 s", subscription, exc)


def main(build: Build, argv: Iterable[str] | None = None) -> None:
    """The command line of a pipeline module: `python -m <impl>.pipeline --input_subscription ...`."""
    import faulthandler

    faulthandler.register(signal.SIGUSR1)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(run(build, list(argv) if argv is not None else None))
