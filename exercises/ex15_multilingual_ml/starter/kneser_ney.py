"""Learner's part 1: an interpolated Kneser-Ney trigram model, the baseline every neural model must beat.

    P3(w|u,v) = max(c(uvw) - D3, 0) / c(uv.)  +  D3 * N1+(uv.) / c(uv.) * P2(w|v)
    P2(w|v)   = max(N1+(.vw) - D2, 0) / N1+(.v.)  +  D2 * N1+(v.) / N1+(.v.) * P1(w)
    P1(w)     = max(N1+(.w) - D1, 0) / N1+(..)  +  D1 * N1+(w>0) / N1+(..) * 1/|V|

Lower orders use continuation counts (distinct left neighbours), every order interpolates with the
next lower one, an unseen context gives all its mass to the next order. Sentences are padded with two
`<s>` contexts; `</s>` is predicted; OOV words are `<unk>` (vocab.map) before counting and scoring.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from exercises.ex15_multilingual_ml.vocab import Sentence, Vocab

BOS = "<s>"


@dataclass
class KneserNey:
    """Counts of a trigram model over `vocab`; `prob(w, (u, v))` is P(w | u v)."""

    vocab: Vocab
    discounts: tuple[float, float, float] = (0.75, 0.75, 0.75)
    trigram: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    context3: Counter[tuple[str, str]] = field(default_factory=Counter)       # c(uv.)
    followers3: Counter[tuple[str, str]] = field(default_factory=Counter)     # N1+(uv.)
    cont2: Counter[tuple[str, str]] = field(default_factory=Counter)          # N1+(.vw)
    cont2_total: Counter[str] = field(default_factory=Counter)                # N1+(.v.)
    followers2: Counter[str] = field(default_factory=Counter)                 # N1+(v.) among N1+(.vw)>0
    cont1: Counter[str] = field(default_factory=Counter)                      # N1+(.w)
    cont1_total: int = 0                                                      # N1+(..)

    def prob(self, word: str, context: tuple[str, str]) -> float:
        """P(word | context) by the three formulas above (the word already mapped to the vocabulary)."""
        raise NotImplementedError("not implemented yet: KneserNey.prob (part 1)")

    def uniform_mass(self, d1: float) -> float:
        """What the unigram level gives every outcome alike: its discounted mass spread over |V|."""
        raise NotImplementedError("not implemented yet: KneserNey.uniform_mass (part 1)")

    def logprobs(self, sentences: Sequence[Sentence]) -> list[list[float]]:
        """Natural-log probability of each token (OOV as `<unk>`), sentence by sentence."""
        raise NotImplementedError("not implemented yet: KneserNey.logprobs (part 1)")


def fit_kneser_ney(sentences: Sequence[Sentence], vocab: Vocab,
                   discounts: tuple[float, float, float] = (0.75, 0.75, 0.75)) -> KneserNey:
    """Count the training sentences (each ending in `</s>`, OOV mapped to `<unk>` first)."""
    raise NotImplementedError("not implemented yet: fit_kneser_ney (part 1)")
