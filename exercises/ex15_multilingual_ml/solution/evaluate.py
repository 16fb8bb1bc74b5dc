"""Learner's part 2: the vocabulary from the training split only, and perplexity per token.

Perplexity = exp(-(1/N) * sum of ln P(token)) over every predicted token of the evaluated text: all
N tokens, `</s>` and `<unk>` included, pooled over all sentences. Averaging per sentence first gives
a short sentence as much weight as a long one; dropping `<unk>` drops the hardest tokens; building
the vocabulary from the test split turns its rare words into known words: each makes a model look
better than it is, and none is comparable with another model's figure.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from exercises.ex15_multilingual_ml.text import EOS, UNK
from exercises.ex15_multilingual_ml.vocab import Sentence, Vocab


def build_vocab(splits: Mapping[str, Sequence[Sentence]], max_size: int, min_count: int) -> Vocab:
    """`</s>`, `<unk>` and the training split's words seen at least `min_count` times, the most
    frequent first (ties by the word), at most `max_size` outcomes in all."""
    counts = Counter(token for sentence in splits["train"] for token in sentence)
    ranked = sorted((w for w, n in counts.items() if n >= min_count and w not in (EOS, UNK)),
                    key=lambda w: (-counts[w], w))
    return Vocab.from_words(ranked[: max(max_size - 2, 0)])


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
    logprobs = logprob_fn(sentences)
    total, n = 0.0, 0
    for row in logprobs:
        total += float(sum(row))
        n += len(row)
    unk = sum(1 for s in sentences for t in s if t not in vocab)
    value = math.exp(-total / n) if n else float("nan")
    return Perplexity(value, n, unk, len(sentences))
