"""The Kneser-Ney baseline: a distribution for every context, continuation counts, finite on <unk>."""

from __future__ import annotations

import math
from typing import Any

import pytest

from exercises.ex15_multilingual_ml.text import EOS, UNK
from exercises.ex15_multilingual_ml.vocab import Vocab

# "francisco" is frequent but only ever after "san"; "glasses" is rarer but follows many words.
TOY = [
    ["san", "francisco", "is", "far", EOS], ["san", "francisco", "is", "big", EOS],
    ["san", "francisco", "is", "big", EOS], ["san", "francisco", "!", EOS],
    ["my", "glasses", EOS], ["new", "glasses", EOS], ["red", "glasses", "is", "big", EOS],
]
VOCAB = Vocab.from_words(["san", "francisco", "is", "far", "big", "!", "my", "glasses", "new", "red", "rare"])


def fitted(impl: Any) -> Any:
    return impl.kneser_ney.fit_kneser_ney(TOY, VOCAB)


@pytest.mark.parametrize("context", [("<s>", "<s>"), ("san", "francisco"), ("francisco", "is"),
                                     ("never", "seen"), ("is", "big")])
def test_probabilities_sum_to_one_in_every_context(impl: Any, context: tuple[str, str]) -> None:
    model = fitted(impl)
    total = sum(model.prob(w, context) for w in VOCAB.tokens)
    assert math.isclose(total, 1.0, rel_tol=1e-9), (
        f"P(. | {context}) sums to {total:.6f}: no interpolation (the discounted mass must go to the "
        "lower order, for seen and unseen words alike)")


def test_a_word_unseen_after_a_seen_context_still_has_probability(impl: Any) -> None:
    model = fitted(impl)
    assert model.prob("glasses", ("san", "francisco")) > 0, "no interpolation: unseen continuation got 0"
    assert model.prob(UNK, ("<s>", "<s>")) > 0, "<unk> must keep some mass (the uniform floor)"


def test_the_lower_order_uses_continuation_counts(impl: Any) -> None:
    """In a new context, 'glasses' (after 3 different words) beats 'francisco' (after 1, but 4 times)."""
    model = fitted(impl)
    context = ("never", "seen")
    assert model.prob("glasses", context) > model.prob("francisco", context), (
        "no continuation counts: the unigram level counted occurrences, not distinct left contexts")
    # exact unigram level: N1+(.glasses) = 3 of 17 bigram types, D1 = 0.75, 11 word types continue
    types = 17
    expected = (3 - 0.75) / types + 0.75 * 11 / types / len(VOCAB)
    assert math.isclose(model.prob("glasses", context), expected, rel_tol=1e-9), (
        "no continuation counts: P1(glasses) is not (N1+(.glasses) - D1) / N1+(..) + the uniform share")


def test_trigram_estimate_matches_the_formula(impl: Any) -> None:
    model = fitted(impl)
    # c(san francisco is) = 3, c(san francisco .) = 4, N1+(san francisco .) = 2
    p2 = model.prob("is", ("unseen", "francisco"))
    expected = (3 - 0.75) / 4 + 0.75 * 2 / 4 * p2
    assert math.isclose(model.prob("is", ("san", "francisco")), expected, rel_tol=1e-9)


def test_logprobs_map_oov_to_unk_and_stay_finite(impl: Any) -> None:
    model = fitted(impl)
    rows = model.logprobs([["san", "zebra", "is", EOS]])
    assert len(rows[0]) == 4
    assert all(math.isfinite(x) and x < 0 for x in rows[0])
    assert math.isclose(rows[0][1], math.log(model.prob(UNK, ("<s>", "san"))))
