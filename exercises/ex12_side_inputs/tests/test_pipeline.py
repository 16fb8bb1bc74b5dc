"""The whole pipeline on the real Beam DirectRunner, both joins, on files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from bootcamp.paths import DATA_DIR
from bootcamp.testing.plugin import Implementation
from exercises.ex12_side_inputs import run as ex12
from exercises.ex12_side_inputs.config import Ex12Settings
from exercises.ex12_side_inputs.records import parse_profile, parse_promotion, parse_purchase

from .conftest import PROFILES, PROMOTIONS, PURCHASES, Files, write_files

METHODS = ["side_input", "cogroupbykey"]


def which(impl: Implementation) -> str:
    return impl.package.rsplit(".", 1)[1]


def run(impl: Implementation, files: Files, out: Path, method: str) -> Any:
    settings = Ex12Settings(profiles=str(files.profiles), purchases=str(files.purchases),
                            promotions=str(files.promotions), output=str(out), method=method)
    return ex12.run(settings, ["--runner=FnApiRunner"], impl=which(impl))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("method", METHODS)
def test_pipeline_joins_and_routes_every_input(impl: Implementation, small_files: Files, tmp_path: Path,
                                               method: str) -> None:
    report = run(impl, small_files, tmp_path / "out", method)
    enriched = {r["purchase_id"]: r for r in read_jsonl(tmp_path / "out" / "enriched.jsonl")}
    unmatched = {r["purchase_id"]: r["reason"] for r in read_jsonl(tmp_path / "out" / "unmatched.jsonl")}
    dead = read_jsonl(tmp_path / "out" / "dead_letters.jsonl")

    # p1: u1 in DE on 2025-03-10, promo-a (10 %). p2: u2's later version is silver -> promo-b (20 %).
    # p5: u4 has two identical rows; 2025-04-01 matches promo-c and promo-d (5 % each) -> promo-c.
    assert {"p1", "p2", "p5"} <= set(enriched), \
        "purchases whose user has one profile must be enriched: a dict lookup per purchase (AsDict)"
    # missing key (u9) and a conflicting duplicate (u3: GB vs IE at the same updated_at)
    assert unmatched.get("p4") == "no_profile", \
        "a purchase without a profile (u9) must come out unmatched as no_profile, counted, never dropped"
    assert unmatched.get("p3") == "ambiguous_profile", \
        "a conflicting duplicate (u3: two versions, same updated_at) must leave its purchases unmatched as " \
        "ambiguous_profile, not joined to whichever version AsDict kept"
    assert (enriched["p1"]["promo_id"], enriched["p1"]["net_amount"]) == ("promo-a", 18.0)
    assert (enriched["p2"]["tier"], enriched["p2"]["promo_id"], enriched["p2"]["net_amount"]) == \
        ("silver", "promo-b", 80.0), "u2's later version (silver) must win over the older one"
    assert enriched["p5"]["promo_id"] == "promo-c"
    # mean of the valid purchases' amounts: (20 + 100 + 30 + 15 + 400) / 5 = 113
    assert [pid for pid, r in sorted(enriched.items()) if r["above_average"]] == ["p5"]

    assert unmatched == {"p4": "no_profile", "p3": "ambiguous_profile"}
    assert set(enriched) == {"p1", "p2", "p5"}

    reasons = sorted(d["reason"].split(":")[0] for d in dead)
    assert reasons == ["bad_profile", "bad_purchase", "bad_purchase", "conflicting_duplicate",
                       "conflicting_duplicate", "identical_duplicate", "superseded_duplicate"]
    bad_lines = {d["line"] for d in dead if d["reason"].startswith("bad_")}
    assert "p6,u1,2025-03-10T13:00:00,SKU-00006,two,9.99" in bad_lines, "dead letters keep the original line"
    assert "p7,u1,2025-06-01T10:00:00" in bad_lines

    # the counters agree with what was written
    assert report.counts["enriched"] == len(enriched)
    assert report.total("unmatched") == len(unmatched)
    assert report.total("dead") == len(dead)
    assert report.counts["unmatched.no_profile"] == 1


def test_both_joins_give_identical_output_on_the_committed_sample(impl: Implementation,
                                                                  tmp_path: Path) -> None:
    files = Files(DATA_DIR / "ex12" / "profiles.csv", DATA_DIR / "ex12" / "purchases.csv",
                  DATA_DIR / "ex12" / "promotions.csv")
    reports, outputs = {}, {}
    for method in METHODS:
        reports[method] = run(impl, files, tmp_path / method, method)
        outputs[method] = {name: sorted((tmp_path / method / f"{name}.jsonl").read_text().splitlines())
                           for name in ("enriched", "unmatched", "dead_letters")}
    assert outputs["side_input"] == outputs["cogroupbykey"]
    assert reports["side_input"].counts == reports["cogroupbykey"].counts
    # nothing lost: every purchase line is enriched, unmatched or a dead letter
    purchase_lines = len(files.purchases.read_text().splitlines()) - 1
    counts = reports["side_input"].counts
    assert counts["enriched"] + reports["side_input"].total("unmatched") + counts["dead.bad_purchase"] == \
        purchase_lines
    assert counts["unmatched.no_profile"] > 0
    assert counts["dead.superseded_duplicate"] > 0


@pytest.mark.parametrize("method", METHODS)
def test_empty_purchases_and_no_profiles_do_not_break_the_pipeline(impl: Implementation, tmp_path: Path,
                                                                   method: str) -> None:
    header_only = PURCHASES.splitlines()[0] + "\n"
    files = write_files(tmp_path / "in", profiles=PROFILES.splitlines()[0] + "\n", purchases=header_only)
    report = run(impl, files, tmp_path / "out", method)
    assert report.total("enriched") == 0
    assert read_jsonl(tmp_path / "out" / "enriched.jsonl") == []


@pytest.mark.parametrize("method", METHODS)
def test_join_transform_in_memory(impl: Implementation, method: str) -> None:
    """The join as a PTransform on in-memory PCollections, checked with Beam's assert_that."""
    profiles = [p for p in map(parse_profile, PROFILES.splitlines()[1:]) if hasattr(p, "user_id")]
    purchases = [p for p in map(parse_purchase, PURCHASES.splitlines()[1:]) if hasattr(p, "purchase_id")]
    promotions = [p for p in map(parse_promotion, PROMOTIONS.splitlines()[1:])]
    join = impl.pipeline.JOINS[method]
    with BeamTestPipeline(runner="FnApiRunner") as p:
        out = join(p | "Purchases" >> beam.Create(purchases), p | "Profiles" >> beam.Create(profiles),
                   p | "Promotions" >> beam.Create(promotions), p | "Mean" >> beam.Create([113.0]))
        assert_that(out.enriched | beam.Map(lambda e: (e.purchase_id, e.promo_id)),
                    equal_to([("p1", "promo-a"), ("p2", "promo-b"), ("p5", "promo-c")]), label="enriched")
        assert_that(out.unmatched | beam.Map(lambda u: (u.purchase_id, u.reason)),
                    equal_to([("p4", "no_profile"), ("p3", "ambiguous_profile")]), label="unmatched")
        assert_that(out.rejected | beam.Map(lambda d: d.reason.split(":")[0]),
                    equal_to(["conflicting_duplicate", "conflicting_duplicate", "identical_duplicate",
                              "superseded_duplicate"]), label="rejected")


def test_cli_runs_then_reports_a_missing_input_in_one_line(impl: Implementation, small_files: Files,
                                                           tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--profiles", str(small_files.profiles), "--purchases", str(small_files.purchases),
            "--promotions", str(small_files.promotions), "--output", str(tmp_path / "o"),
            "--method", "cogroupbykey", "--runner=FnApiRunner"]
    assert ex12.main(args) == 0
    assert "'enriched': 3" in capsys.readouterr().out
    assert len(read_jsonl(tmp_path / "o" / "enriched.jsonl")) == 3

    code = ex12.main(["--profiles", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o2")])
    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("ex12: running")]
    assert len(lines) == 1, lines
    assert lines[0].startswith("ex12: OSError")
