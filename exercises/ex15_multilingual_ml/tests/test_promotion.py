"""The promotion rule and the serving fallback, on their own."""

from __future__ import annotations

import math
from typing import Any

import pytest

LANGS = ("nl", "es", "en")


def test_promotes_only_a_lower_perplexity_on_the_same_evaluation(impl: Any) -> None:
    p = impl.promotion
    champion = p.Evaluation(40.0, "k1")
    assert p.should_promote(p.Evaluation(50.0, "k1"), None, 0.01).promote, "no champion yet: promote"
    assert p.should_promote(p.Evaluation(39.0, "k1"), champion, 0.01).promote, (
        "a lower perplexity is better: 39 must replace a champion at 40")
    worse = p.should_promote(p.Evaluation(45.0, "k1"), champion, 0.01)
    assert not worse.promote, "promoted without comparing: a worse perplexity took the champion alias"
    assert not p.should_promote(p.Evaluation(39.9, "k1"), champion, 0.01).promote, "below min_gain"
    assert not p.should_promote(p.Evaluation(40.0, "k1"), champion, 0.01).promote, "a tie is no gain"
    other = p.should_promote(p.Evaluation(10.0, "k2"), champion, 0.01)
    assert not other.promote, "another test set or vocabulary: not comparable, no promotion"
    assert "comparable" in other.reason
    assert not p.should_promote(p.Evaluation(math.inf, "k1"), None, 0.01).promote
    assert not p.should_promote(p.Evaluation(math.nan, "k1"), champion, 0.01).promote


def test_serving_falls_back_from_entity_to_language(impl: Any) -> None:
    p = impl.promotion
    registered = {"ex15-lm-nl", "ex15-lm-nl-scalc", "ex15-lm-es"}
    has = registered.__contains__
    assert p.serving_model("nl", "scalc", has, "ex15-lm", LANGS) == ("ex15-lm-nl-scalc", False)
    assert p.serving_model("nl", "smath", has, "ex15-lm", LANGS) == ("ex15-lm-nl", True), (
        "no fallback: an entity without a model must be served by its language's model")
    assert p.serving_model("es", None, has, "ex15-lm", LANGS) == ("ex15-lm-es", True)


def test_an_unknown_language_is_an_error_naming_the_served_ones(impl: Any) -> None:
    p = impl.promotion
    has = {"ex15-lm-nl", "ex15-lm-es"}.__contains__
    for language in ("fr", "en"):
        with pytest.raises(p.UnknownLanguage) as info:
            p.serving_model(language, "scalc", has, "ex15-lm", LANGS)
        assert repr(language) in str(info.value)
        assert "nl, es" in str(info.value)
