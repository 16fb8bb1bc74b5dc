"""Learner's part 2: the vocabulary from the training split only, and perplexity per token.

Perplexity = exp(-(1/N) * sum of ln P(token)) over every predicted token of the evaluated text: all
N tokens, `</s>` and `<unk>` included, pooled over all sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from exercises.ex15_multilingual_ml.vocab import Sentence, Vocab


def build_vocab(splits: Mapping[str, Sequence[Sentence]], max_size: int, min_count: int) -> Vocab:
    """`</s>`, `<unk>` and the training split's words seen at least `min_count` times, the most
    frequent first (ties by the word), at most `max_size` outcomes in all."""
    raise NotImplementedError("not implemented yet: build_vocab (part 2)")


@dataclass(frozen=True)
class Perplexity:
    value: float
    tokens: int
    unk_tokens: int
    sentences: int


def perplexity(logprob_fn: Callable[[Sequence[Sentence]], Sequence[Sequence[float]]],
               sentences: Sequence[Sentence], vocab: Vocab) -> Perplexity:
    """The perplexity per token of `sentences` under the model whose `logprob_fn` gives the natural-log
    probability of each token of each sentence."""
    raise NotImplementedError("not implemented yet: perplexity (part 2)")
