"""Learner's part 4: when a new version may take the `champion` alias, and which model answers a request.

Promotion: only on the same `eval_key` and a perplexity lower by at least `min_gain` (a fraction);
no champion yet: promote; a perplexity that is not finite never promotes. Serving: the entity's
model when it has a champion, else the language's; an unknown language raises UnknownLanguage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Evaluation:
    perplexity: float
    eval_key: str


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def should_promote(candidate: Evaluation, champion: Evaluation | None, min_gain: float) -> Decision:
    raise NotImplementedError("not implemented yet: should_promote (part 4)")


class UnknownLanguage(LookupError):
    """No language model is registered for that language."""


def serving_model(language: str, entity: str | None, has_champion: Callable[[str], bool], prefix: str,
                  languages: tuple[str, ...]) -> tuple[str, bool]:
    """The registered model name that answers (`prefix-<language>-<entity>` or `prefix-<language>`,
    bootcamp.ml.registry.entity_model_name), and whether it is the fallback to the language model."""
    raise NotImplementedError("not implemented yet: serving_model (part 4)")
