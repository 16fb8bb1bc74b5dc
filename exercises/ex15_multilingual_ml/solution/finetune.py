"""Learner's part 3: adapt the language model to one entity by fine-tuning it, not by starting again.

An entity (a help module) has a few thousand tokens: too few to learn a language from, enough to
shift a model that already knows it towards the entity's words and phrasing. So the entity's model
starts from the language model's parameters, keeps its vocabulary (or its perplexity could not be
compared with the language model's), and trains a few steps at a lower learning rate.
"""

from __future__ import annotations

from collections.abc import Sequence

from exercises.ex15_multilingual_ml import neural
from exercises.ex15_multilingual_ml.neural import LanguageModel, NeuralConfig
from exercises.ex15_multilingual_ml.vocab import Sentence


def fine_tune(base: LanguageModel, sentences: Sequence[Sentence], config: NeuralConfig,
              entity: str) -> LanguageModel:
    """The entity's model: `config.steps` steps on its training sentences from `base`'s parameters,
    with `base`'s vocabulary; `base` itself is left unchanged."""
    ids = [base.vocab.encode(s) for s in sentences]
    params, _log = neural.train(base.params, ids, base.vocab.eos, config)
    return base.with_params(params, entity)
