"""Learner's part 4: when a new version may take the `champion` alias, and which model answers a request.

Promotion: a candidate replaces the champion only when both were evaluated on the same outcomes and
test set (equal `eval_key`: vocabulary digest + test-set digest; otherwise the two numbers measure
different things) and its perplexity is lower by at least `min_gain` (a fraction: 0.01 = 1 %).
No champion yet: the candidate takes the alias. A perplexity that is not finite never promotes.

Serving: the entity's own model when it has a champion, else the language's model (the fallback);
a language the registry has no model for is an error naming the languages it has.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from bootcamp.ml.registry import entity_model_name


@dataclass(frozen=True)
class Evaluation:
    perplexity: float
    eval_key: str


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def should_promote(candidate: Evaluation, champion: Evaluation | None, min_gain: float) -> Decision:
    if not math.isfinite(candidate.perplexity):
        return Decision(False, f"candidate perplexity {candidate.perplexity} is not finite")
    if champion is None:
        return Decision(True, "no champion yet")
    if candidate.eval_key != champion.eval_key:
        return Decision(False, f"not comparable: evaluated on {candidate.eval_key}, the champion on "
                               f"{champion.eval_key} (another vocabulary or test set)")
    bar = champion.perplexity * (1.0 - min_gain)
    if candidate.perplexity <= bar:
        return Decision(True, f"perplexity {candidate.perplexity:.3f} <= {bar:.3f} "
                              f"(champion {champion.perplexity:.3f} less {min_gain:.1%})")
    return Decision(False, f"perplexity {candidate.perplexity:.3f} > {bar:.3f} "
                           f"(champion {champion.perplexity:.3f} less {min_gain:.1%})")


class UnknownLanguage(LookupError):
    """No language model is registered for that language."""


def serving_model(language: str, entity: str | None, has_champion: Callable[[str], bool], prefix: str,
                  languages: tuple[str, ...]) -> tuple[str, bool]:
    """The registered model name that answers (`prefix-<language>-<entity>` or `prefix-<language>`),
    and whether it is the fallback to the language model."""
    language_model = entity_model_name(prefix, language)
    if language not in languages or not has_champion(language_model):
        known = [lang for lang in languages if has_champion(entity_model_name(prefix, lang))]
        raise UnknownLanguage(f"no model for language {language!r}; served languages: "
                              f"{', '.join(known) or 'none'}")
    if entity:
        own = entity_model_name(prefix, f"{language}-{entity}")
        if has_champion(own):
            return own, False
    return language_model, True
