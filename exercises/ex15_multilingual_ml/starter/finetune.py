"""Learner's part 3: adapt the language model to one entity by fine-tuning it, not by starting again."""

from __future__ import annotations

from collections.abc import Sequence

from exercises.ex15_multilingual_ml.neural import LanguageModel, NeuralConfig
from exercises.ex15_multilingual_ml.vocab import Sentence


def fine_tune(base: LanguageModel, sentences: Sequence[Sentence], config: NeuralConfig,
              entity: str) -> LanguageModel:
    """The entity's model: `config.steps` steps on its training sentences from `base`'s parameters,
    with `base`'s vocabulary; `base` itself is left unchanged."""
    raise NotImplementedError("not implemented yet: fine_tune (part 3)")
