"""Learner's part 1: an interpolated Kneser-Ney trigram model, the baseline every neural model must beat.

Interpolated KN (Chen and Goodman 1998, one discount per order): the highest order uses counts, the
lower orders use *continuation* counts (in how many different contexts a word appears), and every
order gives the mass it discounted to the next lower one, down to a uniform distribution over the
vocabulary, so no outcome (`<unk>` included) ever gets probability 0 and perplexity stays finite.

    P3(w|u,v) = max(c(uvw) - D3, 0) / c(uv.)  +  D3 * N1+(uv.) / c(uv.) * P2(w|v)
    P2(w|v)   = max(N1+(.vw) - D2, 0) / N1+(.v.)  +  D2 * N1+(v.) / N1+(.v.) * P1(w)
    P1(w)     = max(N1+(.w) - D1, 0) / N1+(..)  +  D1 * N1+(w>0) / N1+(..) * 1/|V|

with `c` counts of the training trigrams, `N1+(.vw)` the number of distinct words before `vw`,
`N1+(uv.)` / `N1+(v.)` the number of distinct words after a context, and an unseen context giving all
its mass to the next order. Sentences are padded with two `<s>` contexts; `</s>` is predicted.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
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
        u, v = context
        d1, d2, d3 = self.discounts
        p1 = self.uniform_mass(d1)
        if self.cont1_total:
            p1 += max(self.cont1[word] - d1, 0.0) / self.cont1_total
        total2 = self.cont2_total[v]
        p2 = (max(self.cont2[v, word] - d2, 0.0) + d2 * self.followers2[v] * p1) / total2 if total2 else p1
        total3 = self.context3[(u, v)]
        if not total3:
            return p2
        return (max(self.trigram[(u, v, word)] - d3, 0.0) + d3 * self.followers3[(u, v)] * p2) / total3

    def uniform_mass(self, d1: float) -> float:
        """What the unigram level gives every outcome alike: its discounted mass spread over |V|."""
        if not self.cont1_total:
            return 1.0 / len(self.vocab)
        return d1 * len(self.cont1) / self.cont1_total / len(self.vocab)

    def logprobs(self, sentences: Sequence[Sentence]) -> list[list[float]]:
        """Natural-log probability of each token (OOV as `<unk>`), sentence by sentence."""
        out = []
        for sentence in sentences:
            u, v = BOS, BOS
            row = []
            for w in self.vocab.map(sentence):
                row.append(math.log(self.prob(w, (u, v))))
                u, v = v, w
            out.append(row)
        return out


def fit_kneser_ney(sentences: Sequence[Sentence], vocab: Vocab,
                   discounts: tuple[float, float, float] = (0.75, 0.75, 0.75)) -> KneserNey:
    """Count the training sentences (each ending in `</s>`, OOV mapped to `<unk>` first)."""
    model = KneserNey(vocab, discounts)
    before2: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for sentence in sentences:
        padded = [BOS, BOS, *vocab.map(sentence)]
        for u, v, w in zip(padded, padded[1:], padded[2:], strict=False):
            model.trigram[(u, v, w)] += 1
            before2[(v, w)].add(u)
    for (u, v, _w), _count in model.trigram.items():
        model.context3[(u, v)] += _count
        model.followers3[(u, v)] += 1
    for (v, w), befores in before2.items():
        model.cont2[(v, w)] = len(befores)
        model.cont2_total[v] += len(befores)
        model.followers2[v] += 1
    for (_v, w) in before2:
        model.cont1[w] += 1
    model.cont1_total = sum(model.cont1.values())
    return model
