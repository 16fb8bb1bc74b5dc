"""Provided: log every model's run to MLflow, register it, and move `champion` by the learner's rule.

One registered model per language (`ex15-lm-nl`, tags language=nl, entity_type=language, entity=nl)
and per (language, entity) (`ex15-lm-nl-scalc`, tags language=nl, entity_type=help_module,
entity=scalc). Each run of training adds a version to each, tagged with its test perplexity and the
`eval_key` it was measured on; the new version becomes `challenger`, and `champion` moves to it only
when `promotion.should_promote` says so against the current champion's tags: "compared with the
previous run" is that comparison, and the run logs the champion's figure beside its own.

The artifact is one `model.npz` (parameters, vocabulary, configuration; no pickle, so loading a model
runs no code), registered with `create_model_version` from the run's artifact folder.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bootcamp.ml.registry import (
    CHALLENGER,
    CHAMPION,
    ENTITY_TAG,
    ENTITY_TYPE_TAG,
    entity_model_name,
    version_by_alias,
)
from exercises.ex15_multilingual_ml.corpus import ENTITY_TYPE
from exercises.ex15_multilingual_ml.neural import LanguageModel
from exercises.ex15_multilingual_ml.training import Row, Settings, implementation

LANGUAGE_TAG = "language"
ARTIFACT = "model"
FILE = "model.npz"


def model_name(prefix: str, language: str, entity: str | None) -> str:
    return entity_model_name(prefix, language if entity is None else f"{language}-{entity}")


def _ensure_model(client: Any, name: str, tags: dict[str, str]) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name, tags=tags)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        for key, value in tags.items():
            client.set_registered_model_tag(name, key, value)


def register_model(client: Any, model: LanguageModel, row: Row, settings: Settings,
                   impl: str | None = None, extra_tags: dict[str, str] | None = None) -> dict[str, Any]:
    """Log, register and maybe promote one model; returns name, version, perplexity, the champion's
    perplexity before, and the decision."""
    import mlflow

    promotion = implementation("promotion", impl)
    entity = model.entity
    name = model_name(settings.prefix, model.language, entity)
    perplexity = row.fine_tuned if entity is not None and row.fine_tuned is not None else row.base
    tags = {LANGUAGE_TAG: model.language, ENTITY_TYPE_TAG: "language" if entity is None else ENTITY_TYPE,
            ENTITY_TAG: entity or model.language}
    before = version_by_alias(client, name, CHAMPION)
    champion_eval = (promotion.Evaluation(float(before.tags.get("perplexity", "nan")),
                                          before.tags.get("eval_key", ""))
                     if before is not None else None)
    with mlflow.start_run(run_name=name) as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tags({**tags, "eval_key": row.eval_key})
        config = {f"nn_{k}": v for k, v in asdict(model.config).items()}
        mlflow.log_params({"vocab_size": len(model.vocab), **config,
                           "max_vocab": settings.max_vocab, "min_count": settings.min_count})
        metrics = {"perplexity": perplexity, "perplexity_language_model": row.base, "perplexity_kn": row.kn,
                   "gain_vs_kn": 1.0 - perplexity / row.kn, "test_tokens": row.test_tokens,
                   "unk_rate": row.unk_rate, "train_tokens": row.train_tokens}
        if champion_eval is not None:
            metrics["champion_perplexity"] = champion_eval.perplexity
        mlflow.log_metrics(metrics)
        path = Path(tmp) / FILE
        path.write_bytes(model.save())
        mlflow.log_artifact(str(path), artifact_path=ARTIFACT)
        source = f"{run.info.artifact_uri}/{ARTIFACT}"
        run_id = run.info.run_id
    _ensure_model(client, name, tags)
    version_tags = {**tags, "perplexity": repr(perplexity), "perplexity_kn": repr(row.kn),
                    "eval_key": row.eval_key, **(extra_tags or {})}
    version = client.create_model_version(name, source, run_id=run_id, tags=version_tags,
                                          await_creation_for=0)
    client.set_registered_model_alias(name, CHALLENGER, version.version)
    decision = promotion.should_promote(promotion.Evaluation(perplexity, row.eval_key), champion_eval,
                                        settings.min_gain)
    if decision.promote:
        client.set_registered_model_alias(name, CHAMPION, version.version)
    client.set_model_version_tag(name, version.version, "promotion", decision.reason)
    return {"name": name, "version": str(version.version), "perplexity": perplexity,
            "champion_before": champion_eval.perplexity if champion_eval else None,
            "promoted": decision.promote, "reason": decision.reason}


def load_registered(uri: str) -> LanguageModel:
    """`models:/name/version` -> the LanguageModel (downloads the version's `model.npz`)."""
    import mlflow.artifacts

    with tempfile.TemporaryDirectory() as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp))
        path = local / FILE if local.is_dir() else local
        return LanguageModel.load(path.read_bytes())


def quiet() -> None:
    logging.getLogger("mlflow").setLevel(logging.WARNING)
