"""The vocabulary (training split only) and perplexity (per token, <unk> and </s> counted)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from exercises.ex15_multilingual_ml.text import EOS, UNK
from exercises.ex15_multilingual_ml.vocab import Vocab

SPLITS = {
    "train": [["kies", "opmaak", EOS], ["kies", "cellen", EOS], ["klik", "op", "opmaak", EOS]],
    "validation": [["kies", "blad", EOS]],
    "test": [["kies", "zeldzaam", EOS], ["zeldzaam", "zeldzaam", EOS]],
}


def test_vocab_comes_from_the_training_split_only(impl: Any) -> None:
    vocab = impl.evaluate.build_vocab(SPLITS, max_size=100, min_count=1)
    assert "zeldzaam" not in vocab, "leakage: the vocabulary was built from the test split"
    assert "blad" not in vocab, "leakage: the vocabulary was built from the validation split"
    assert vocab.tokens[:4] == (EOS, UNK, "kies", "opmaak"), "</s>, <unk>, then by falling count"


def test_vocab_applies_min_count_and_max_size(impl: Any) -> None:
    vocab = impl.evaluate.build_vocab(SPLITS, max_size=100, min_count=2)
    assert set(vocab.tokens) == {EOS, UNK, "kies", "opmaak"}
    assert len(impl.evaluate.build_vocab(SPLITS, max_size=3, min_count=1)) == 3


def _fixed(values: dict[str, float]) -> Any:
    """A fake model: ln P(token) = values[token], whatever the context."""
    def logprobs(sentences: Sequence[list[str]]) -> list[list[float]]:
        return [[values.get(t, values[UNK]) for t in s] for s in sentences]
    return logprobs


def test_perplexity_is_per_token_over_all_sentences(impl: Any) -> None:
    vocab = Vocab.from_words(["a", "b"])
    sentences = [["a", EOS], ["a", "a", "a", "a", "a", "a", "b", EOS]]
    model = _fixed({"a": math.log(0.5), "b": math.log(0.1), EOS: math.log(0.25), UNK: math.log(0.01)})
    result = impl.evaluate.perplexity(model, sentences, vocab)
    total = 7 * math.log(0.5) + math.log(0.1) + 2 * math.log(0.25)
    assert result.tokens == 10
    assert math.isclose(result.value, math.exp(-total / 10), rel_tol=1e-9), (
        "perplexity averaged per sentence instead of per token: pool every token's log-probability")


def test_unknown_words_count_in_perplexity(impl: Any) -> None:
    vocab = Vocab.from_words(["a"])
    sentences = [["a", "zebra", EOS]]
    model = _fixed({"a": math.log(0.5), EOS: math.log(0.5), UNK: math.log(0.001)})
    result = impl.evaluate.perplexity(model, sentences, vocab)
    assert result.tokens == 3, "<unk> tokens skipped in perplexity: every token counts, <unk> included"
    assert result.unk_tokens == 1
    assert math.isclose(result.value, (0.5 * 0.5 * 0.001) ** (-1 / 3), rel_tol=1e-9), (
        "<unk> tokens skipped in perplexity: every token counts, <unk> included")
