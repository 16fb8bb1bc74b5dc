"""Per-level training: fallback for small levels, reproducible metrics, a fair comparison with the
global model."""

from __future__ import annotations

import math
import random
from typing import Any

from exercises.ex16_income_prediction.census import Settings, score
from exercises.ex16_income_prediction.encoding import encode_batch
from exercises.ex16_income_prediction.tests.test_features import people

SETTINGS = Settings(min_rows=300, min_class=20, seed=7)


def examples(impl: Any, n: int = 600) -> tuple[Any, dict[str, list[Any]], dict[str, list[Any]]]:
    train, test = people("train", n, impl), people("test", n // 2, impl)
    prep = impl.features.fit_preprocessor(train)
    by_level: dict[str, list[Any]] = {}
    for level, example in encode_batch(train, prep):
        by_level.setdefault(level, []).append(example)
    test_by_level: dict[str, list[Any]] = {}
    for person in test:
        test_by_level.setdefault(person.education, []).append(person)
    return prep, by_level, test_by_level


def test_needs_fallback_below_the_minimum_rows_or_class_count(impl: Any) -> None:
    assert impl.train.needs_fallback(299, 100, SETTINGS), "fewer rows than min_rows must fall back"
    assert impl.train.needs_fallback(1000, 19, SETTINGS), "fewer positives than min_class must fall back"
    assert impl.train.needs_fallback(1000, 990, SETTINGS), "fewer negatives than min_class must fall back"
    assert not impl.train.needs_fallback(300, 20, SETTINGS)


def test_a_small_level_is_served_by_the_global_model(impl: Any) -> None:
    prep, by_level, _ = examples(impl)
    everyone = [e for rows in by_level.values() for e in rows]
    global_model = impl.train.fit_model(everyone, prep, SETTINGS)
    small = impl.train.train_level("Doctorate", by_level["Doctorate"], prep, global_model, SETTINGS)
    assert len(by_level["Doctorate"]) < SETTINGS.min_rows
    assert small.kind == "global-fallback", \
        "no fallback for small groups: a level under min_rows must be served by the global model"
    assert small.model is global_model, \
        "no fallback for small groups: a level under min_rows must be served by the global model"
    big = impl.train.train_level("HS-grad", by_level["HS-grad"], prep, global_model, SETTINGS)
    assert big.kind == "level"
    assert big.model is not global_model
    assert big.n_train == len(by_level["HS-grad"])


def test_metrics_are_reproducible_whatever_the_row_order(impl: Any) -> None:
    prep, by_level, test = examples(impl)
    rows = by_level["HS-grad"]
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    a = score(impl.train.fit_model(rows, prep, SETTINGS), test["HS-grad"])
    b = score(impl.train.fit_model(shuffled, prep, SETTINGS), test["HS-grad"])
    assert a == b, f"same seed and data must give the same metrics: {a} vs {b}"
    assert 0.6 < a.auc <= 1.0
    assert a.n == len(test["HS-grad"])


def test_the_global_model_is_compared_on_the_levels_own_rows(impl: Any) -> None:
    prep, by_level, test = examples(impl)
    everyone = [e for rows in by_level.values() for e in rows]
    global_model = impl.train.fit_model(everyone, prep, SETTINGS)
    all_test = [p for rows in test.values() for p in rows]
    overall = score(global_model, all_test)
    chosen = impl.train.train_level("HS-grad", by_level["HS-grad"], prep, global_model, SETTINGS)
    report = impl.train.evaluate_level("HS-grad", test["HS-grad"], chosen, global_model, overall)
    expected = score(global_model, test["HS-grad"])
    assert report.global_ == expected, (
        "global model compared on all rows: the comparison must score the global model on the "
        f"level's own test rows ({expected.n}), got n={report.global_.n}")
    assert report.served == score(chosen.model, test["HS-grad"])
    assert report.level_only is not None
    assert not math.isnan(report.level_only.auc)
