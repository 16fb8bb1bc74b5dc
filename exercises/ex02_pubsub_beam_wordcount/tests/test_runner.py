"""Which runner runs the pipeline here: the one named, never one fetched from the network.

Beam 2.68+ resolves `--runner=DirectRunner` to the SwitchingDirectRunner, which offers the pipeline
to Prism first; Prism's job server downloads its binary from GitHub on first use. The pipeline's
`run` names the BundleBasedDirectRunner instead (`streaming.LOCAL_RUNNER`), the runner that
implements Python's Pub/Sub IO locally. These tests intercept Prism and the download: the named
runner must never reach them, and the control shows the interception does see a DirectRunner try.
"""

from __future__ import annotations

from typing import Any

import pytest
from apache_beam.runners.direct import direct_runner
from apache_beam.runners.portability import prism_runner

from exercises.ex02_pubsub_beam_wordcount import streaming

ARGV = ["--input_subscription=projects/p-local/subscriptions/in-sub",
        "--output_topic=projects/p-local/topics/out", "--dead_letter_topic=projects/p-local/topics/dead"]


class _Started:
    """What a runner's run_pipeline returned in place of a job: nothing runs, nothing is pulled."""

    state = "RUNNING"


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which runner receives the pipeline; fail on any attempt to start or fetch Prism."""
    called: list[str] = []

    def no_download(*_: Any, **__: Any) -> None:
        called.append("download")
        raise AssertionError("tried to download Prism")

    def prism(self: Any, pipeline: Any, options: Any) -> None:
        called.append("PrismRunner")
        raise RuntimeError("Prism is not available here")  # the SwitchingDirectRunner then falls back

    def bundle_based(self: Any, pipeline: Any, options: Any) -> _Started:
        called.append(type(self).__name__)
        return _Started()

    monkeypatch.setattr(prism_runner, "urlopen", no_download)
    monkeypatch.setattr(prism_runner.PrismRunner, "run_pipeline", prism)
    monkeypatch.setattr(direct_runner.BundleBasedDirectRunner, "run_pipeline", bundle_based)
    return called


def test_the_local_runner_is_named_and_never_tries_prism(impl: Any, runners: list[str]) -> None:
    pipeline, _ = streaming.start(impl.pipeline.build, ARGV)
    assert type(pipeline.runner) is direct_runner.BundleBasedDirectRunner
    assert runners == ["BundleBasedDirectRunner"], f"runners tried, in order: {runners}"


def test_control_the_direct_runner_alias_offers_this_pipeline_to_prism_first(impl: Any,
                                                                              runners: list[str]) -> None:
    """Why the runner is named: `DirectRunner` tries Prism for this very graph, then falls back."""
    streaming.start(impl.pipeline.build, [*ARGV, "--runner=DirectRunner"])
    assert runners == ["PrismRunner", "BundleBasedDirectRunner"]
