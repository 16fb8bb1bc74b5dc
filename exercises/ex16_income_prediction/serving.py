"""Provided: the prediction service, FastAPI, one model per education level from the Model Registry.

`POST /predict` with one person's 14 features answers P(income > 50K) from the model registered as
`ex16-income-<education>` behind the alias `champion` (`EX16_ALIAS`), and says which version answered.
The alias is re-resolved at most every `EX16_REFRESH_S` seconds (default 5; 0 = every request), so
moving `champion` to another version changes the answers without a restart. An education level with
no registered model is a 404 naming the known levels; a malformed body is FastAPI's 422 naming the
field.

Run it: `uvicorn --factory exercises.ex16_income_prediction.serving:app_from_env --port 8080`, with
`MLFLOW_TRACKING_URI` pointing at the registry. The same image runs on Vertex AI and SageMaker
(deploy/): both send `AIP_HTTP_PORT` / port 8080 and probe a health route.
"""

from __future__ import annotations

import os
from typing import Any

import mlflow.sklearn
import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from bootcamp.ml.registry import (
    CHAMPION,
    AliasedModels,
    ModelNotFound,
    client,
    entity_model_name,
    tracking_uri,
)
from exercises.ex16_income_prediction.census import FEATURES


class PersonIn(BaseModel):
    """One person, as in adult.data (field names with `_`); unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    age: int = Field(ge=0, le=130)
    workclass: str = Field(min_length=1)
    fnlwgt: int = Field(ge=0)
    education: str = Field(min_length=1)
    education_num: int = Field(ge=0)
    marital_status: str = Field(min_length=1)
    occupation: str = Field(min_length=1)
    relationship: str = Field(min_length=1)
    race: str = Field(min_length=1)
    sex: str = Field(min_length=1)
    capital_gain: int = Field(ge=0)
    capital_loss: int = Field(ge=0)
    hours_per_week: int = Field(ge=0, le=168)
    native_country: str = Field(min_length=1)


class Instances(BaseModel):
    """The batch body Vertex AI and SageMaker clients send: `{"instances": [...]}`."""

    model_config = ConfigDict(extra="forbid")

    instances: list[PersonIn] = Field(min_length=1, max_length=10_000)


class Prediction(BaseModel):
    education: str
    model: str
    version: str
    alias: str
    kind: str
    probability_over_50k: float


def create_app(uri: str, prefix: str = "ex16-income", alias: str = CHAMPION,
               refresh_s: float = 5.0) -> FastAPI:
    mlflow_client = client(uri)
    models = AliasedModels(mlflow_client, mlflow.sklearn.load_model, refresh_s=refresh_s)
    app = FastAPI(title="ex16 income by education level")

    def known_levels() -> list[str]:
        found = mlflow_client.search_registered_models(filter_string="tags.entity_type = 'education'")
        return sorted(m.tags.get("entity", m.name) for m in found if m.name.startswith(prefix + "-"))

    @app.get("/health")
    @app.get("/ping")          # SageMaker's health probe (Vertex AI: set healthRoute to either)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/invocations")  # SageMaker's route; Vertex AI: predictRoute=/invocations
    def invocations(body: Instances) -> dict[str, list[Prediction]]:
        return {"predictions": [predict(person) for person in body.instances]}

    @app.post("/predict")
    def predict(person: PersonIn) -> Prediction:
        name = entity_model_name(prefix, person.education)
        try:
            loaded = models.get(name, alias)
        except ModelNotFound:
            detail = (f"no model for education level {person.education!r} (alias {alias!r}); "
                      f"known levels: {', '.join(known_levels())}")
            raise HTTPException(404, detail=detail) from None
        row: Any = np.array([[getattr(person, f) for f in FEATURES]], dtype=object)
        p = float(loaded.model.predict_proba(row)[0, 1])
        return Prediction(education=person.education, model=name, version=loaded.version, alias=alias,
                          kind=loaded.tags.get("kind", "?"), probability_over_50k=p)

    return app


def app_from_env() -> FastAPI:
    """The app configured by the environment (what the container runs)."""
    return create_app(tracking_uri(), os.environ.get("EX16_PREFIX", "ex16-income"),
                      os.environ.get("EX16_ALIAS", CHAMPION), float(os.environ.get("EX16_REFRESH_S", "5")))
