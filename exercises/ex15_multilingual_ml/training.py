"""Provided: train and evaluate every model from the pipeline's shards, with the learner's parts.

Per language: the vocabulary (`evaluate.build_vocab`, training split only), the Kneser-Ney trigram
baseline (`kneser_ney.fit_kneser_ney`) and the GRU language model (`neural.train` from a fresh,
seeded init), both on the language's whole training split. Per entity of the language: the language
model fine-tuned on the entity's training split (`finetune.fine_tune`). Then perplexity
(`evaluate.perplexity`) on the test split: per language for the language model and KN, per entity for
the language model, the entity's fine-tuned model and KN, all with the same vocabulary and the same
`<unk>` mapping, all counted per token.

`eval_key` names what a perplexity was measured on (vocabulary digest + test-set digest): two figures
with the same key are comparable, which is what promotion checks.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from exercises.ex15_multilingual_ml import neural
from exercises.ex15_multilingual_ml.neural import LanguageModel, NeuralConfig
from exercises.ex15_multilingual_ml.vocab import Sentence, Vocab

if TYPE_CHECKING:  # the serving image has no Beam: only the pipeline's output type is needed here
    from exercises.ex15_multilingual_ml.pipeline import Shards


LogprobFn = Callable[[Sequence[Sentence]], Sequence[Any]]   # per sentence, its tokens' log-probabilities


def implementation(module: str, impl: str | None = None) -> ModuleType:
    which = impl or os.environ.get("BOOTCAMP_IMPL", "solution")
    return importlib.import_module(f"exercises.ex15_multilingual_ml.{which}.{module}")


@dataclass(frozen=True)
class Settings:
    """What a training run uses; `quick()` is the size of the tests and the quick bench."""

    prefix: str = "ex15-lm"
    max_vocab: int = 2500
    min_count: int = 2
    language: NeuralConfig = field(default_factory=lambda: NeuralConfig(
        dim=128, hidden=128, tie=True, dropout=0.4, steps=1200, warmup=100, decay="cosine", weight_decay=0.1))
    entity: NeuralConfig = field(default_factory=lambda: NeuralConfig(steps=60, learning_rate=0.002))
    min_gain: float = 0.01
    languages: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()

    @classmethod
    def quick(cls, **changes: Any) -> Settings:
        base = cls(language=NeuralConfig(steps=150), entity=NeuralConfig(steps=20, learning_rate=0.002))
        return replace(base, **changes)


def eval_key(vocab: Vocab, sentences: Sequence[Sentence]) -> str:
    digest = hashlib.sha256(json.dumps(sentences, ensure_ascii=False).encode()).hexdigest()[:12]
    return f"v{vocab.digest()}-t{digest}"


@dataclass
class Trained:
    """Everything trained for one language."""

    language: str
    vocab: Vocab
    kn: Any
    model: LanguageModel
    entities: dict[str, LanguageModel]
    seconds: dict[str, float]


@dataclass(frozen=True)
class Row:
    """One line of the perplexity table: a language (entity None) or one entity."""

    language: str
    entity: str | None
    test_tokens: int
    unk_rate: float
    base: float
    fine_tuned: float | None
    kn: float
    eval_key: str
    train_tokens: int
    mixed: float | None = None
    mix_weight: float | None = None

    @property
    def best_neural(self) -> float:
        return self.fine_tuned if self.fine_tuned is not None else self.base

    @property
    def gain_vs_kn(self) -> float:
        """How much lower the (best) neural perplexity is than KN's, as a fraction (0.2 = 20 % lower)."""
        return 1.0 - self.best_neural / self.kn

    def as_dict(self) -> dict[str, Any]:
        return {"language": self.language, "entity": self.entity, "test_tokens": self.test_tokens,
                "unk_rate": self.unk_rate, "base": self.base, "fine_tuned": self.fine_tuned, "kn": self.kn,
                "eval_key": self.eval_key, "train_tokens": self.train_tokens, "gain_vs_kn": self.gain_vs_kn,
                "mixed": self.mixed, "mix_weight": self.mix_weight}


MIX_WEIGHTS = tuple(i / 20 for i in range(21))


def mixture(first: LogprobFn, second: LogprobFn, weight: float) -> LogprobFn:
    """Log-probabilities of the linear interpolation weight * P_first + (1 - weight) * P_second, token by
    token (both models predict the same outcomes, so the mixture is a distribution over them too)."""
    def logprobs(sentences: Sequence[Sentence]) -> list[list[float]]:
        out = []
        for a, b in zip(first(sentences), second(sentences), strict=True):
            pa, pb = np.exp(np.asarray(a, np.float64)), np.exp(np.asarray(b, np.float64))
            out.append(np.log(weight * pa + (1.0 - weight) * pb).tolist())
        return out
    return logprobs


def mix_weight(first: LogprobFn, second: LogprobFn, validation: Sequence[Sentence], vocab: Vocab,
               evaluate: ModuleType) -> float:
    """The weight of `first` in the mixture with the lowest perplexity on the validation split (a grid
    of 0.05; never chosen on test). Each model's log-probabilities are computed once."""
    a, b = first(validation), second(validation)
    scores = {w: evaluate.perplexity(mixture(lambda _s: a, lambda _s: b, w), validation, vocab).value
              for w in MIX_WEIGHTS}
    return min(MIX_WEIGHTS, key=lambda w: (scores[w], w))


def train_language(shards: Shards, language: str, settings: Settings, impl: str | None = None) -> Trained:
    evaluate, kneser_ney, finetune = (implementation(m, impl) for m in ("evaluate", "kneser_ney", "finetune"))
    splits = {s: shards.sentences(s, language) for s in ("train", "validation", "test")}
    vocab: Vocab = evaluate.build_vocab(splits, settings.max_vocab, settings.min_count)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    kn = kneser_ney.fit_kneser_ney(splits["train"], vocab)
    seconds["kn"] = time.perf_counter() - started
    started = time.perf_counter()
    params, _log = neural.train(neural.init(len(vocab), settings.language),
                                [vocab.encode(s) for s in splits["train"]], vocab.eos, settings.language)
    seconds["language_model"] = time.perf_counter() - started
    model = LanguageModel(vocab, params, settings.language, language)
    entities: dict[str, LanguageModel] = {}
    for entity in shards.entities(language):
        if settings.entities and entity not in settings.entities:
            continue
        train = shards.sentences("train", language, entity)
        if not train:
            continue
        started = time.perf_counter()
        entities[entity] = finetune.fine_tune(model, train, settings.entity, entity)
        seconds[f"fine_tune:{entity}"] = time.perf_counter() - started
    return Trained(language, vocab, kn, model, entities, seconds)


def evaluate_language(shards: Shards, trained: Trained, impl: str | None = None) -> list[Row]:
    """The language's row, then one row per entity that has test documents."""
    evaluate = implementation("evaluate", impl)
    language, vocab = trained.language, trained.vocab
    train_tokens = sum(len(s) for s in shards.sentences("train", language))
    rows: list[Row] = []
    test = shards.sentences("test", language)
    base = evaluate.perplexity(trained.model.logprobs, test, vocab)
    kn = evaluate.perplexity(trained.kn.logprobs, test, vocab)
    validation = shards.sentences("validation", language)
    weight = mix_weight(trained.model.logprobs, trained.kn.logprobs, validation, vocab, evaluate) \
        if validation else None
    mixed = None
    if weight is not None:
        mixed = evaluate.perplexity(mixture(trained.model.logprobs, trained.kn.logprobs, weight), test,
                                    vocab).value
    rows.append(Row(language, None, base.tokens, base.unk_tokens / max(base.tokens, 1), base.value, None,
                    kn.value, eval_key(vocab, test), train_tokens, mixed, weight))
    for entity, tuned in sorted(trained.entities.items()):
        test = shards.sentences("test", language, entity)
        if not test:
            continue
        base = evaluate.perplexity(trained.model.logprobs, test, vocab)
        own = evaluate.perplexity(tuned.logprobs, test, vocab)
        kn = evaluate.perplexity(trained.kn.logprobs, test, vocab)
        rows.append(Row(language, entity, base.tokens, base.unk_tokens / max(base.tokens, 1), base.value,
                        own.value, kn.value, eval_key(vocab, test),
                        sum(len(s) for s in shards.sentences("train", language, entity))))
    return rows


def train_all(shards: Shards, settings: Settings, impl: str | None = None) -> tuple[list[Trained], list[Row]]:
    trained, rows = [], []
    for language in shards.languages():
        if settings.languages and language not in settings.languages:
            continue
        t = train_language(shards, language, settings, impl)
        trained.append(t)
        rows.extend(evaluate_language(shards, t, impl))
    return trained, rows
