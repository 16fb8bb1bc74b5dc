"""The whole Beam pipeline on the sample: dead letters, one registered model per level, the table."""

from __future__ import annotations

from typing import Any

import mlflow.sklearn

from bootcamp.ml.registry import client, entity_model_name
from exercises.ex16_income_prediction.census import Person, matrix
from exercises.ex16_income_prediction.tests.conftest import BAD_LINES, LEVELS, Trained


def test_bad_lines_go_to_the_dead_letters_with_reasons_and_are_counted(trained: Trained) -> None:
    report = trained.report
    lines = {d["line"] for d in report.dead_letters}
    assert set(BAD_LINES.values()) <= lines, "bad rows dropped without dead letter"
    assert "|1x3 Cross validator" in lines
    counted = report.counters["train_dead_letters"] + report.counters["test_dead_letters"]
    assert counted == len(report.dead_letters)
    assert all(d["reason"] for d in report.dead_letters)


def test_each_level_has_a_report_and_the_small_one_falls_back(trained: Trained) -> None:
    rows = {r["level"]: r for r in trained.report.levels}
    assert set(rows) == set(LEVELS)
    assert rows["Doctorate"]["report"]["kind"] == "global-fallback"
    assert rows["HS-grad"]["report"]["kind"] == "level"
    for r in rows.values():
        assert r["report"]["served"]["n"] == r["report"]["global"]["n"] > 0


def test_a_registered_model_per_level_loads_by_alias_and_predicts(trained: Trained, impl: Any) -> None:
    c = client(trained.uri)
    mlflow.set_tracking_uri(trained.uri)
    from exercises.ex16_income_prediction.tests.test_features import people

    test_rows: list[Person] = people("test", 40, impl)
    for level in LEVELS:
        name = entity_model_name(trained.settings.prefix, level)
        version = c.get_model_version_by_alias(name, "champion")
        assert version.tags["entity"] == level
        model = mlflow.sklearn.load_model(f"models:/{name}@champion")
        mine = [p for p in test_rows if p.education == level] or test_rows[:3]
        proba = model.predict_proba(matrix(mine))[:, 1]
        assert ((proba >= 0) & (proba <= 1)).all()
