"""Fine-tuning per entity starts from the language model, keeps its vocabulary, and helps the entity."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from exercises.ex15_multilingual_ml import neural
from exercises.ex15_multilingual_ml.neural import LanguageModel, NeuralConfig
from exercises.ex15_multilingual_ml.vocab import Vocab

if TYPE_CHECKING:  # Beam's import costs 3 s; most tests here do not run the pipeline
    from exercises.ex15_multilingual_ml.pipeline import Shards

CONFIG = NeuralConfig(steps=60, dim=24, hidden=48, batch=32, learning_rate=0.01, seed=3)


@pytest.fixture(scope="module")
def base(shards: Shards) -> LanguageModel:
    """A small Spanish language model (its vocabulary counted here, not by the learner's code)."""
    train = shards.sentences("train", "es")
    counts = Counter(t for s in train for t in s)
    ranked = sorted((w for w, n in counts.items() if n >= 2), key=lambda w: (-counts[w], w))
    vocab = Vocab.from_words(ranked[:598])
    ids = [vocab.encode(s) for s in train]
    params, _ = neural.train(neural.init(len(vocab), CONFIG), ids, vocab.eos, CONFIG)
    return LanguageModel(vocab, params, CONFIG, "es")


def test_fine_tune_starts_from_the_language_model(base: LanguageModel, shards: Shards, impl: Any) -> None:
    zero = NeuralConfig(**{**CONFIG.__dict__, "steps": 0})
    same = impl.finetune.fine_tune(base, shards.sentences("train", "es", "smath"), zero, "smath")
    for key, value in base.params.items():
        assert np.array_equal(same.params[key], value), (
            "fine-tuned from scratch: with 0 steps the entity model must be the language model "
            f"({key} differs)")
    assert same.vocab == base.vocab, "the entity model keeps the language model's vocabulary"
    assert same.entity == "smath"
    assert same.language == "es"


def test_fine_tune_lowers_the_entitys_perplexity_and_leaves_the_base_alone(
        base: LanguageModel, shards: Shards, impl: Any) -> None:
    before = {k: v.copy() for k, v in base.params.items()}
    config = NeuralConfig(**{**CONFIG.__dict__, "steps": 40, "learning_rate": 0.003})
    tuned = impl.finetune.fine_tune(base, shards.sentences("train", "es", "smath"), config, "smath")
    assert all(np.array_equal(base.params[k], v) for k, v in before.items()), "the base model was changed"
    test = shards.sentences("train", "es", "smath")[:200]

    def ppl(model: LanguageModel) -> float:
        rows = model.logprobs(test)
        return float(np.exp(-sum(r.sum() for r in rows) / sum(len(r) for r in rows)))

    assert ppl(tuned) < ppl(base), "fine-tuning on the entity did not fit the entity better"
