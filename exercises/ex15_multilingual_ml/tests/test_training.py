"""The `train` step on the sample: a row per language and entity, comparable figures, models saved."""

from __future__ import annotations

import math

import pytest

from exercises.ex15_multilingual_ml.neural import LanguageModel
from exercises.ex15_multilingual_ml.tests.conftest import ENTITIES, Trained


def test_every_language_and_entity_is_evaluated_with_finite_perplexities(trained: Trained) -> None:
    rows = trained.evaluation["rows"]
    assert {(r["language"], r["entity"]) for r in rows} == {
        (lang, ent) for lang in ("nl", "es", "en") for ent in (None, *ENTITIES)}
    for r in rows:
        assert r["test_tokens"] > 100
        for key in ("base", "kn") + (("fine_tuned",) if r["entity"] else ()):
            assert math.isfinite(r[key]), (key, r)
            assert 1 < r[key] < trained.settings.max_vocab, (key, r)


def test_fine_tuning_beats_the_language_model_on_its_entity(trained: Trained) -> None:
    for r in trained.evaluation["rows"]:
        if r["entity"]:
            assert r["fine_tuned"] < r["base"], r


def test_all_three_models_share_one_evaluation_per_row(trained: Trained) -> None:
    """Same vocabulary, same test tokens: one eval_key per (language, entity), distinct across rows."""
    keys = [r["eval_key"] for r in trained.evaluation["rows"]]
    assert len(set(keys)) == len(keys)
    for lang in ("nl", "es", "en"):
        rows = [r for r in trained.evaluation["rows"] if r["language"] == lang]
        vocab_parts = {r["eval_key"].split("-t")[0] for r in rows}
        assert len(vocab_parts) == 1, "every model of a language uses the language's vocabulary"


def test_saved_models_load_and_suggest(trained: Trained) -> None:
    model = LanguageModel.load((trained.out / "models" / "nl-scalc.npz").read_bytes())
    assert model.language == "nl"
    assert model.entity == "scalc"
    assert len(model.vocab) == trained.settings.max_vocab
    words = [w for w, _p in model.suggest(["kies"], 5)]
    assert len(words) == 5
    assert "</s>" not in words
    assert "<unk>" not in words


def test_the_mixture_row_is_chosen_on_validation_and_never_worse_than_both(trained: Trained) -> None:
    """The GRU+KN row: a weight from the grid, and a mixture no worse than the worse of its two models
    (log-sum convexity); the weight comes from the validation split, so it is not tuned on test."""
    from exercises.ex15_multilingual_ml.training import MIX_WEIGHTS

    for r in trained.evaluation["rows"]:
        if r["entity"] is None:
            assert r["mix_weight"] in MIX_WEIGHTS, r
            assert math.isfinite(r["mixed"]), r
            assert r["mixed"] <= max(r["base"], r["kn"]) + 1e-9, r


def test_mixture_is_the_token_wise_linear_interpolation() -> None:
    from exercises.ex15_multilingual_ml.training import mixture

    def a(_s: object) -> list[list[float]]:
        return [[math.log(0.5), math.log(0.1)]]

    def b(_s: object) -> list[list[float]]:
        return [[math.log(0.1), math.log(0.3)]]

    out = mixture(a, b, 0.25)([["x", "</s>"]])
    assert [math.exp(v) for v in out[0]] == pytest.approx([0.25 * 0.5 + 0.75 * 0.1, 0.25 * 0.1 + 0.75 * 0.3])
