"""The `train` step on the sample: a row per language and entity, comparable figures, models saved."""

from __future__ import annotations

import math

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
