"""Which runner runs the Beam side here: the one named, never one fetched from the network.

Beam 2.68+ resolves `--runner=DirectRunner` (and no runner) to the SwitchingDirectRunner, which
offers this batch graph to Prism first (Prism's job server downloads its binary from GitHub), then
falls back to the FnApiRunner. `runtime.run` names the FnApiRunner. These tests run the real
pipeline with Prism and its download intercepted: the named runner must never reach them; the
control shows the interception sees the DirectRunner alias try.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apache_beam.runners.portability import prism_runner
from apache_beam.runners.portability.fn_api_runner import fn_runner

from bootcamp.datasets.weblogs import HEADER
from bootcamp.testing.plugin import Implementation
from exercises.ex07_spark_to_beam import results, runtime

LINE = "2026-03-02T10:05:00Z,a1,10.0.0.1,GET,/api/orders/1,200,100,10,eu-west"


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which runner runs the pipeline; fail any attempt to fetch Prism, refuse to start it."""
    called: list[str] = []
    fnapi = fn_runner.FnApiRunner.run_pipeline

    def no_download(*_: Any, **__: Any) -> None:
        called.append("download")
        raise AssertionError("tried to download Prism")

    def prism(self: Any, pipeline: Any, options: Any) -> None:
        called.append("PrismRunner")
        raise RuntimeError("Prism is not available here")  # the SwitchingDirectRunner then falls back

    def recorded(self: Any, pipeline: Any, options: Any) -> Any:
        called.append(type(self).__name__)
        return fnapi(self, pipeline, options)

    monkeypatch.setattr(prism_runner, "urlopen", no_download)
    monkeypatch.setattr(prism_runner.PrismRunner, "run_pipeline", prism)
    monkeypatch.setattr(fn_runner.FnApiRunner, "run_pipeline", recorded)
    return called


def _run(impl: Implementation, tmp_path: Path, beam_args: list[str]) -> list[results.StatsRow]:
    source = tmp_path / "in.csv"
    source.write_text(f"{HEADER}\n{LINE}\n")
    runtime.run(impl.beam_pipeline.build, str(source), str(tmp_path / "s"), str(tmp_path / "d"), beam_args)
    return results.read_stats(str(tmp_path / "s"))


def test_the_local_runner_is_named_and_never_tries_prism(impl: Implementation, tmp_path: Path,
                                                         runners: list[str]) -> None:
    assert _run(impl, tmp_path, []) == [("2026-03-02T10:00:00Z", "/api/orders/{id}", 1, 0, 100, 10, 10)]
    assert runners == ["FnApiRunner"], f"runners tried, in order: {runners}"


def test_control_the_direct_runner_alias_offers_this_pipeline_to_prism_first(
        impl: Implementation, tmp_path: Path, runners: list[str]) -> None:
    """Why the runner is named: `DirectRunner` tries Prism for this very graph, then falls back."""
    assert _run(impl, tmp_path, ["--runner=DirectRunner"])
    assert runners == ["PrismRunner", "FnApiRunner"]
