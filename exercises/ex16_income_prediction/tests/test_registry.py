"""Registration against the real local MLflow server: entity in tags, aliases (not stages), champion rule."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import mlflow
import mlflow.sklearn

from bootcamp.ml.registry import client, entity_model_name
from exercises.ex16_income_prediction.census import LevelModel, Metrics, Settings, matrix, score
from exercises.ex16_income_prediction.tests.test_train import SETTINGS, examples


def test_register_tags_the_entity_and_moves_aliases_by_auc(impl: Any, mlflow_uri: str) -> None:
    prep, by_level, test = examples(impl, 400)
    settings = Settings(prefix=f"r{uuid.uuid4().hex[:8]}-income", min_rows=SETTINGS.min_rows,
                        min_class=SETTINGS.min_class)
    model = impl.train.fit_model(by_level["HS-grad"], prep, settings)
    level_model = LevelModel("HS-grad", model, "level", len(by_level["HS-grad"]), 0, model)
    good = impl.train.evaluate_level("HS-grad", test["HS-grad"], level_model, model,
                                     score(model, test["HS-grad"]))
    worse = dataclasses.replace(good, served=Metrics(good.served.n, 0.5, 0.5, 0.25))
    mlflow.set_tracking_uri(mlflow_uri)
    mlflow.set_experiment(settings.prefix)
    c = client(mlflow_uri)
    first = impl.register.register_level(c, level_model, good, settings)
    second = impl.register.register_level(c, level_model, worse, settings)
    name = entity_model_name(settings.prefix, "HS-grad")
    registered = c.get_registered_model(name)
    assert (registered.tags.get("entity"), registered.tags.get("entity_type")) == ("HS-grad", "education"), \
        f"the registered model must carry the entity in its tags: {registered.tags}"
    v2 = c.get_model_version(name, second["version"])
    assert v2.tags.get("entity") == "HS-grad", f"each version must carry the entity tag: {v2.tags}"
    assert all(v.current_stage in (None, "None") for v in c.search_model_versions(f"name='{name}'")), \
        "registering with stages: use aliases (champion/challenger), stages are deprecated"
    assert c.get_model_version_by_alias(name, "challenger").version == second["version"], \
        "the newest version must be the challenger"
    assert c.get_model_version_by_alias(name, "champion").version == first["version"], \
        "a worse version must not take the champion alias"
    loaded = mlflow.sklearn.load_model(f"models:/{name}@champion")
    rows = matrix(test["HS-grad"])
    assert (loaded.predict_proba(rows) == model.predict_proba(rows)).all()
