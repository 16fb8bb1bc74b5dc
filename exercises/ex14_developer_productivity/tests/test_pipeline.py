"""The whole pipeline: the hand-made organisation's metrics, dead letters and gaps reported, and the
same output on every runner and in DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootcamp.testing.plugin import Implementation
from exercises.ex14_developer_productivity import baseline, fake, generator, tables
from exercises.ex14_developer_productivity import run as runner
from exercises.ex14_developer_productivity.tests import handmade

Api = tuple[fake.Endpoints, fake.Control]


def _run(name: str, api: Api, identities: list[dict[str, str]], out: Path, impl_name: str,
         grain: str = "week") -> runner.Report:
    sources = runner.sources_for(api[0], impl_name, {})
    return runner.run_pipeline(name, sources, identities, str(out), str(out / "metrics.db"), impl_name, grain)


@pytest.fixture(scope="module")
def handmade_output(handmade_served: Api, impl_name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ex14-handmade")
    _run("direct", handmade_served, handmade.world().identities, out, impl_name)
    return out


def test_handmade_metrics_equal_the_computation_by_hand(impl: Implementation, handmade_output: Path) -> None:
    assert tables.read_csv(handmade_output, "developer_metrics") == handmade.DEVELOPER
    assert tables.read_csv(handmade_output, "team_metrics") == handmade.TEAM
    assert tables.read_csv(handmade_output, "dora") == handmade.DORA, "DORA lead time for changes"
    for name in tables.TABLES:
        in_db = tables.read_db(handmade_output / "metrics.db", name)
        assert in_db == tables.read_csv(handmade_output, name), \
            f"the CSV and the database disagree on {name}"


def test_identity_gaps_are_reported_not_dropped(impl: Implementation, handmade_output: Path) -> None:
    assert tables.read_csv(handmade_output, "unmapped") == handmade.UNMAPPED, \
        "every identity missing from the table is reported with its activity count"
    people = {row[1] for row in tables.read_csv(handmade_output, "developer_metrics")}
    assert {"unmapped:slack:UBOB", "unmapped:github:email:carol@x.example"} <= people, \
        "the identity join dropped unknown users silently: keep their activity, attributed to unmapped"


@pytest.fixture(scope="module")
def outputs(served: Api, world: generator.World, impl_name: str,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    served[1].reset()
    root = tmp_path_factory.mktemp("ex14-runners")
    for name in ("direct", "prism"):
        _run(name, served, world.identities, root / name, impl_name)
    return {name: root / name for name in ("direct", "prism")}


@pytest.mark.slow
def test_runners_and_duckdb_give_identical_output(impl: Implementation, outputs: dict[str, Path],
                                                  offline: Path) -> None:
    expected = baseline.query(offline)
    for name, out in outputs.items():
        for table in tables.TABLES:
            rows = tables.read_csv(out, table)
            assert rows, f"{name}: {table} is empty"
            assert rows == tables.read_db(out / "metrics.db", table), f"{name}: CSV and database differ"
            assert rows == expected[table], f"{name} disagrees with DuckDB's SQL on {table}"
        assert tables.read_dead(out) == [], f"{name}: dead letters from clean input"


def test_bad_pages_become_dead_letters_and_the_summary_says_how_complete(
        impl: Implementation, api: Api, world: generator.World, impl_name: str, tmp_path: Path) -> None:
    _endpoints, control = api
    control.inject(fake.Fault("/platform-svc1/commits", "malformed"),
                   fake.Fault("startAt=0&maxResults=100&expand=changelog", "malformed"),
                   fake.Fault("conversations.history", "malformed", skip=1))
    report = _run("direct", api, [*world.identities, {"person_id": "", "team": "x"}], tmp_path, impl_name)
    dead = tables.read_dead(tmp_path)
    reasons = {(d["source"], d["reason"].split(":")[0]) for d in dead}
    assert ("github", "malformed JSON") in reasons
    assert ("jira", "malformed JSON") in reasons
    assert any(d["source"] == "slack" and "unread" in d["reason"] for d in dead)
    assert any(d["source"] == "identities" for d in dead), "a bad identity row is a dead letter"
    summary = report.summary
    assert summary["dead_letters"] == len(dead) == 4
    assert summary["dead_pages"] == 3
    assert 0 < summary["attributed_pct"] < 100
    assert summary["unmapped_identities"] > 0


def test_cluster_runners_are_refused_in_one_line() -> None:
    for name, cls in (("flink", "FlinkRunner"), ("spark", "SparkRunner")):
        with pytest.raises(ValueError, match=f"the {cls} needs its job server") as error:
            runner.runner_options(name)
        assert "\n" not in str(error.value)
    assert runner.runner_options("direct")[0] == "--runner=FnApiRunner", \
        "name the runner: a bare DirectRunner tries to download Prism first"
    with pytest.raises(ValueError, match="unknown runner"):
        runner.runner_options("storm")
    assert "--experiments=disable_prism_server_singleton" in runner.runner_options("prism"), \
        "Beam shares one Prism server per process: one made by a bare DirectRunner would download"
