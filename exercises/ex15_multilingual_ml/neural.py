"""Provided: a small word-level GRU language model in JAX, trained with Optax on the CPU.

Architecture: an embedding of each input token (`dim`), one GRU layer (`hidden`), and a softmax over
the vocabulary. A sentence `w1 .. wn </s>` is read as inputs `</s> w1 .. wn` (the previous sentence's
end is the start context) and targets `w1 .. wn </s>`: every token, `</s>` and `<unk>` included, is
predicted once, which is what the Kneser-Ney baseline predicts too.

Training: fixed windows of `window` tokens (a longer sentence is cut into windows; each starts from a
zero state), `batch` windows a step, Adam with gradient clipping, inputs embedded through dropout. The
shapes are fixed so XLA compiles the step once per shape. Everything is seeded: two runs on the same
data give the same parameters on the same machine.

Why JAX + Optax, no Flax or Keras: the model is 40 lines of `jax.numpy` and `lax.scan`; Flax would add
a module system (and its checkpointing stack) for nothing the exercise teaches, and keeps the
dependency to jax, jaxlib and optax (about 360 MB installed, of which jaxlib is 341 MB; no GPU build).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from exercises.ex15_multilingual_ml.vocab import Sentence, Vocab

Params = dict[str, Any]


@dataclass(frozen=True)
class NeuralConfig:
    dim: int = 48
    hidden: int = 64
    window: int = 32
    batch: int = 32
    steps: int = 600
    learning_rate: float = 0.01
    dropout: float = 0.3
    clip: float = 1.0
    seed: int = 15
    tie: bool = False          # output layer = the input embedding (transposed), through a projection
    weight_decay: float = 0.0  # AdamW's decoupled decay (0: plain Adam)
    warmup: int = 0            # linear warm-up steps, then
    decay: str = "constant"    # "constant" or "cosine" (to 5 % of the rate at the last step)

    def rate_at(self, step: int) -> float:
        """The learning rate of step `step` (0-based): warm-up, then constant or cosine decay."""
        if self.warmup and step < self.warmup:
            return self.learning_rate * (step + 1) / self.warmup
        if self.decay == "cosine":
            span = max(self.steps - self.warmup, 1)
            done = min(max(step - self.warmup, 0) / span, 1.0)
            return self.learning_rate * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * done)))
        return self.learning_rate


def _jax() -> Any:
    import jax

    jax.config.update("jax_platforms", "cpu")
    return jax


def init(vocab_size: int, config: NeuralConfig, seed: int | None = None) -> Params:
    """Fresh parameters (scaled uniform / orthogonal-free Glorot), seeded."""
    rng = np.random.default_rng(config.seed if seed is None else seed)

    def glorot(*shape: int) -> np.ndarray:
        limit = math.sqrt(6.0 / (shape[0] + shape[-1]))
        return rng.uniform(-limit, limit, size=shape).astype(np.float32)

    d, h = config.dim, config.hidden
    params = {"embed": glorot(vocab_size, d), "w_x": glorot(d, 3 * h), "w_h": glorot(h, 3 * h),
              "b": np.zeros(3 * h, np.float32), "b_out": np.zeros(vocab_size, np.float32)}
    if config.tie:   # logits = (h @ w_proj) @ embed.T: one matrix for words in and out
        params["w_proj"] = glorot(h, d)
    else:
        params["w_out"] = glorot(h, vocab_size)
    return params


def copy_params(params: Params) -> Params:
    return {k: np.array(v, dtype=np.float32, copy=True) for k, v in params.items()}


def _forward(params: Params, inputs: Any, dropout_key: Any = None, rate: Any = 0.0) -> Any:
    """Log-probabilities [batch, time, vocab] of the next token after each input token."""
    jax = _jax()
    jnp = jax.numpy
    x = params["embed"][inputs]                                   # [B, T, d]
    if dropout_key is not None:
        key_in, key_out = jax.random.split(dropout_key)
        x = jnp.where(jax.random.bernoulli(key_in, 1.0 - rate, x.shape), x / (1.0 - rate), 0.0)
    h_size = params["w_h"].shape[0]
    gates_x = x @ params["w_x"] + params["b"]                     # [B, T, 3h]

    def step(h: Any, gx: Any) -> tuple[Any, Any]:
        gh = h @ params["w_h"]
        z = jax.nn.sigmoid(gx[:, :h_size] + gh[:, :h_size])
        r = jax.nn.sigmoid(gx[:, h_size:2 * h_size] + gh[:, h_size:2 * h_size])
        n = jnp.tanh(gx[:, 2 * h_size:] + r * gh[:, 2 * h_size:])
        h = (1.0 - z) * n + z * h
        return h, h

    h0 = jnp.zeros((inputs.shape[0], h_size), x.dtype)
    _, hs = jax.lax.scan(step, h0, jnp.swapaxes(gates_x, 0, 1))
    hs = jnp.swapaxes(hs, 0, 1)                                   # [B, T, h]
    if dropout_key is not None:
        hs = jnp.where(jax.random.bernoulli(key_out, 1.0 - rate, hs.shape), hs / (1.0 - rate), 0.0)
    # tied: back through the input embedding (a projection hidden -> dim first)
    logits = hs @ params["w_out"] if "w_out" in params else (hs @ params["w_proj"]) @ params["embed"].T
    return jax.nn.log_softmax(logits + params["b_out"], axis=-1)


def windows(sentences: Sequence[list[int]], eos: int, window: int) -> tuple[np.ndarray, np.ndarray,
                                                                            np.ndarray]:
    """Inputs, targets and mask [n, window]: each sentence (ids, ending in eos) cut into windows."""
    rows_in: list[list[int]] = []
    rows_out: list[list[int]] = []
    for ids in sentences:
        inputs = [eos, *ids[:-1]]
        for start in range(0, len(ids), window):
            rows_in.append(inputs[start:start + window])
            rows_out.append(ids[start:start + window])
    n = len(rows_in)
    x = np.zeros((n, window), np.int32)
    y = np.zeros((n, window), np.int32)
    m = np.zeros((n, window), np.float32)
    for i, (a, b) in enumerate(zip(rows_in, rows_out, strict=True)):
        x[i, :len(a)], y[i, :len(b)], m[i, :len(b)] = a, b, 1.0
    return x, y, m


def _optimizer(learning_rate: float, clip: float, weight_decay: float) -> Any:
    import optax

    return optax.chain(optax.clip_by_global_norm(clip), optax.adamw(learning_rate, weight_decay=weight_decay))


@lru_cache(maxsize=1)
def _compiled() -> tuple[Any, Any]:
    """The optimizer and the jitted training step, built once per process. The learning rate, clip and
    dropout rate are values in the optimizer's state and arguments, not constants of the trace, so the
    language model and every entity's fine-tune share one compiled step per shape (XLA compiles again
    only for another vocabulary size or batch shape)."""
    jax = _jax()
    import optax

    jnp = jax.numpy
    optimizer = optax.inject_hyperparams(_optimizer)(learning_rate=0.01, clip=1.0, weight_decay=0.0)

    def loss_fn(p: Params, xb: Any, yb: Any, mb: Any, key: Any, rate: Any) -> Any:
        logp = _forward(p, xb, key, rate)
        nll = -jnp.take_along_axis(logp, yb[..., None], axis=-1)[..., 0]
        return jnp.sum(nll * mb) / jnp.maximum(jnp.sum(mb), 1.0)

    def step(p: Params, s: Any, xb: Any, yb: Any, mb: Any, key: Any, rate: Any) -> tuple[Params, Any, Any]:
        loss, grads = jax.value_and_grad(loss_fn)(p, xb, yb, mb, key, rate)
        updates, s = optimizer.update(grads, s, p)
        return optax.apply_updates(p, updates), s, loss

    return optimizer, jax.jit(step)


@lru_cache(maxsize=1)
def _forward_jit() -> Any:
    return _jax().jit(_forward)


@dataclass(frozen=True)
class TrainLog:
    steps: int
    seconds: float
    final_loss: float


def train(params: Params, sentences: Sequence[list[int]], eos: int, config: NeuralConfig,
          on_step: Callable[[int, float], None] | None = None) -> tuple[Params, TrainLog]:
    """`config.steps` Adam steps on random batches of windows, starting from `params` (not modified)."""
    import time

    jax = _jax()
    jnp = jax.numpy
    x, y, m = windows(sentences, eos, config.window)
    if config.steps <= 0 or len(x) == 0:
        return copy_params(params), TrainLog(0, 0.0, float("nan"))
    optimizer, step = _compiled()
    state_params = {k: jnp.asarray(v) for k, v in params.items()}
    opt_state = optimizer.init(state_params)
    opt_state.hyperparams["learning_rate"] = jnp.asarray(config.learning_rate, jnp.float32)
    opt_state.hyperparams["clip"] = jnp.asarray(config.clip, jnp.float32)
    opt_state.hyperparams["weight_decay"] = jnp.asarray(config.weight_decay, jnp.float32)
    rate = jnp.asarray(config.dropout, jnp.float32)

    rng = np.random.default_rng(config.seed)
    key = jax.random.PRNGKey(config.seed)
    started = time.perf_counter()
    loss = float("nan")
    for i in range(config.steps):
        idx = rng.choice(len(x), size=config.batch, replace=len(x) < config.batch)
        key, sub = jax.random.split(key)
        if config.warmup or config.decay != "constant":
            opt_state.hyperparams["learning_rate"] = jnp.asarray(config.rate_at(i), jnp.float32)
        state_params, opt_state, loss_value = step(state_params, opt_state, x[idx], y[idx], m[idx], sub, rate)
        if on_step is not None and (i + 1) % 100 == 0:
            loss = float(loss_value)
            on_step(i + 1, loss)
    loss = float(loss_value)
    trained = {k: np.asarray(v, dtype=np.float32) for k, v in state_params.items()}
    return trained, TrainLog(config.steps, time.perf_counter() - started, loss)


def sentence_logprobs(params: Params, sentences: Sequence[list[int]], eos: int,
                      batch: int = 64) -> list[np.ndarray]:
    """Natural-log probability of each token of each sentence (ids ending in eos), whole sentences
    from a zero state (no window cut), batched by padded length."""
    _jax()
    forward = _forward_jit()
    out: list[np.ndarray | None] = [None] * len(sentences)
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    for start in range(0, len(order), batch):
        chunk = order[start:start + batch]
        width = max(len(sentences[i]) for i in chunk)
        width = 16 * math.ceil(width / 16)          # few distinct shapes: few compilations
        x = np.zeros((batch, width), np.int32)
        y = np.zeros((batch, width), np.int32)
        for row, i in enumerate(chunk):
            ids = sentences[i]
            x[row, :len(ids)] = [eos, *ids[:-1]]
            y[row, :len(ids)] = ids
        logp = np.asarray(forward(params, x))
        picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
        for row, i in enumerate(chunk):
            out[i] = picked[row, :len(sentences[i])].astype(np.float64)
    return [a if a is not None else np.zeros(0) for a in out]


def next_distribution(params: Params, context: list[int], eos: int) -> np.ndarray:
    """P(next token | the sentence so far), as probabilities over the vocabulary."""
    x = np.array([[eos, *context]], np.int32)
    probs: np.ndarray = np.exp(np.asarray(_forward_jit()(params, x), dtype=np.float64)[0, -1])
    return probs


@dataclass(frozen=True)
class LanguageModel:
    """A trained GRU with its vocabulary: what is registered, served and fine-tuned."""

    vocab: Vocab
    params: Params
    config: NeuralConfig
    language: str
    entity: str | None = None

    def logprobs(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        """Per-token log-probabilities of tokenised sentences (each ending in `</s>`), OOV as `<unk>`."""
        return sentence_logprobs(self.params, [self.vocab.encode(s) for s in sentences], self.vocab.eos)

    def suggest(self, context: Sentence, k: int = 5) -> list[tuple[str, float]]:
        """The `k` likeliest next words (not `</s>` nor `<unk>`) after the sentence so far."""
        probs = next_distribution(self.params, self.vocab.encode(context), self.vocab.eos)
        probs[[self.vocab.eos, self.vocab.unk]] = 0.0
        best = np.argsort(-probs, kind="stable")[:k]
        return [(self.vocab.tokens[i], float(probs[i])) for i in best]

    def with_params(self, params: Params, entity: str | None) -> LanguageModel:
        return replace(self, params=params, entity=entity)

    def save(self) -> bytes:
        """One `.npz`: the parameters, the vocabulary and the configuration (no pickle)."""
        import json
        from dataclasses import asdict

        buffer = io.BytesIO()
        meta = {"vocab": list(self.vocab.tokens), "config": asdict(self.config), "language": self.language,
                "entity": self.entity}
        np.savez(buffer, __meta__=np.array(json.dumps(meta, ensure_ascii=False)), **self.params)
        return buffer.getvalue()

    @classmethod
    def load(cls, data: bytes) -> LanguageModel:
        import json

        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(str(arrays["__meta__"]))
            params = {k: np.array(arrays[k]) for k in arrays.files if k != "__meta__"}
        return cls(Vocab(tuple(meta["vocab"])), params, NeuralConfig(**meta["config"]), meta["language"],
                   meta["entity"])


def batches_of(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
