"""Learner's part 4: register each level's model in the MLflow Model Registry, entity in tags, aliases."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import mlflow
import mlflow.sklearn
from mlflow.tracking import MlflowClient

from bootcamp.ml.registry import CHALLENGER, ENTITY_TAG, ENTITY_TYPE_TAG, entity_model_name, promote
from exercises.ex16_income_prediction.census import LevelModel, LevelReport, Settings

ENTITY_TYPE = "education"
PIP_REQUIREMENTS = [f"scikit-learn=={version('scikit-learn')}", f"cloudpickle=={version('cloudpickle')}",
                    f"numpy=={version('numpy')}"]


def register_level(client: MlflowClient, level_model: LevelModel, report: LevelReport,
                   settings: Settings) -> dict[str, Any]:
    """Log the served model of one level in a run, register it as a new version of the level's own
    registered model, tag it, point `challenger` at it, and make it `champion` when its test AUC is
    at least the current champion's.

    Format: cloudpickle, not MLflow 3's default skops: Beam's `SklearnModelHandlerNumpy` opens a
    pickle file (`model.pkl`) and cannot read skops. A pickle runs code when loaded: load only models
    from a registry you trust.
    """
    level = level_model.level
    name = entity_model_name(settings.prefix, level)
    metrics = {f"served_{k}": v for k, v in report.served.as_dict().items()}
    metrics.update({f"global_{k}": v for k, v in report.global_.as_dict().items()})
    with mlflow.start_run(run_name=name):
        mlflow.log_params({"education": level, "kind": level_model.kind, "n_train": level_model.n_train,
                           "min_rows": settings.min_rows, "min_class": settings.min_class,
                           "seed": settings.seed})
        mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(level_model.model, name="model", serialization_format="cloudpickle",
                                        registered_model_name=name, pip_requirements=PIP_REQUIREMENTS)
    registered = str(info.registered_model_version)
    client.set_registered_model_tag(name, ENTITY_TYPE_TAG, ENTITY_TYPE)
    client.set_registered_model_tag(name, ENTITY_TAG, level)
    tags = {ENTITY_TYPE_TAG: ENTITY_TYPE, ENTITY_TAG: level, "kind": level_model.kind,
            "auc": f"{report.served.auc:.6f}", "n_train": str(level_model.n_train), **settings.extra}
    for key, value in tags.items():
        client.set_model_version_tag(name, registered, key, value)
    client.set_registered_model_alias(name, CHALLENGER, registered)
    champion = promote(client, name, registered, "auc")
    return {"level": level, "name": name, "version": registered, "champion": champion,
            "kind": level_model.kind}
