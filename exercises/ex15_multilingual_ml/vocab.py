"""Provided: the vocabulary both models share, so that their perplexities can be compared at all.

Perplexity is only comparable between models that predict the same set of outcomes: the same words,
the same `</s>`, and the same `<unk>` standing for every other word. A model with a smaller vocabulary
puts all the rare words into one `<unk>` it predicts easily, and looks better for it. So the
vocabulary is built once per language, from that language's training split only, and the Kneser-Ney
baseline, the language model and every entity's fine-tuned model all use it.

Outcomes: `</s>`, `<unk>`, then the words by falling count (ties by the word). The sentence-start
context `<s>` of the trigram model is a context, never an outcome, and is not in the list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from exercises.ex15_multilingual_ml.text import EOS, UNK

Sentence = list[str]


@dataclass(frozen=True)
class Vocab:
    """Outcome `i` is `tokens[i]`; `tokens[0]` is `</s>` and `tokens[1]` is `<unk>`."""

    tokens: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokens[:2] != (EOS, UNK):
            raise ValueError(f"a vocabulary starts with {EOS!r} and {UNK!r}, not {self.tokens[:2]}")
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.tokens)})

    @property
    def eos(self) -> int:
        return 0

    @property
    def unk(self) -> int:
        return 1

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self.index

    def map(self, sentence: Iterable[str]) -> Sentence:
        """The sentence with every out-of-vocabulary word replaced by `<unk>`."""
        return [t if t in self.index else UNK for t in sentence]

    def encode(self, sentence: Iterable[str]) -> list[int]:
        return [self.index.get(t, 1) for t in sentence]

    def digest(self) -> str:
        """A short hash of the token list: equal digests, same outcomes."""
        return hashlib.sha256("\n".join(self.tokens).encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(list(self.tokens), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        return cls(tuple(json.loads(text)))

    @classmethod
    def from_words(cls, words: Sequence[str]) -> Vocab:
        return cls((EOS, UNK, *(w for w in words if w not in (EOS, UNK))))
