"""Beam RunInference with a KeyedModelHandler (one model per level, from the registry by alias)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np

from bootcamp.ml.registry import client, entity_model_name
from exercises.ex16_income_prediction import inference
from exercises.ex16_income_prediction.census import matrix
from exercises.ex16_income_prediction.tests.conftest import LEVELS, Trained
from exercises.ex16_income_prediction.tests.test_features import people


def test_run_inference_keyed_by_level_matches_the_in_process_models(trained: Trained, impl: Any,
                                                                    tmp_path: Path) -> None:
    c = client(trained.uri)
    handler, versions = inference.keyed_handler(c, trained.settings.prefix, LEVELS, tmp_path / "models")
    rows = people("test", 60, impl)
    scored = inference.score_with_run_inference(rows, handler, tmp_path / "out")
    mlflow.set_tracking_uri(trained.uri)
    for level in LEVELS:
        mine = [i for i, p in enumerate(rows) if p.education == level]
        name = entity_model_name(trained.settings.prefix, level)
        model = mlflow.sklearn.load_model(f"models:/{name}/{versions[level]}")
        expected = model.predict_proba(matrix([rows[i] for i in mine]))[:, 1]
        assert np.allclose([scored[i] for i in mine], expected, rtol=0, atol=1e-12), level
