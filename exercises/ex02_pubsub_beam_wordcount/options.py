"""The pipeline's command-line options, shared by the solution and the starter.

Beam registers every `PipelineOptions` subclass globally and parses all of them together, so a class
that declares the same flags must exist once per process: here, not in each implementation.
"""

from __future__ import annotations

from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions


class WordCountOptions(PipelineOptions):  # type: ignore[misc]  # Beam is untyped
    """The pipeline's own flags (Beam's, like --runner and --streaming, come on top)."""

    @classmethod
    def _add_argparse_args(cls, parser: Any) -> None:
        parser.add_argument("--input_subscription", default="",
                            help="projects/<p>/subscriptions/<s> to read sentences from")
        parser.add_argument("--output_topic", default="",
                            help="projects/<p>/topics/<t> to write JSON word counts to")
        parser.add_argument("--dead_letter_topic", default="",
                            help="projects/<p>/topics/<t> for messages that are not UTF-8 text")
        parser.add_argument("--window_size_s", type=float, default=60.0, help="fixed window size")
        parser.add_argument("--allowed_lateness_s", type=float, default=120.0,
                            help="how long after the watermark passes a window late data still counts")
        parser.add_argument("--id_label", default="",
                            help="attribute to deduplicate publisher-side duplicates by (Dataflow only; "
                                 "the BundleBasedDirectRunner refuses it)")
