"""Learner's part 4: register each level's model in the MLflow Model Registry, entity in tags, aliases."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from mlflow.tracking import MlflowClient

from exercises.ex16_income_prediction.census import LevelModel, LevelReport, Settings

ENTITY_TYPE = "education"
PIP_REQUIREMENTS = [f"scikit-learn=={version('scikit-learn')}", f"cloudpickle=={version('cloudpickle')}",
                    f"numpy=={version('numpy')}"]


def register_level(client: MlflowClient, level_model: LevelModel, report: LevelReport,
                   settings: Settings) -> dict[str, Any]:
    """Log, register (cloudpickle: Beam's sklearn handler reads pickles), tag the entity, set
    `challenger`, promote `champion` when at least as good; returns level, name, version, champion, kind."""
    raise NotImplementedError("not implemented yet: register_level (part 4)")
