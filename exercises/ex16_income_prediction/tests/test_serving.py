"""The prediction service over HTTP (uvicorn on a free port): per-level models, 4xx, alias reload."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import mlflow.sklearn
import numpy as np
import pytest
import uvicorn

from bootcamp.ml.registry import client, entity_model_name
from bootcamp.services.base import LOCALHOST, free_port
from exercises.ex16_income_prediction.census import FEATURES, matrix
from exercises.ex16_income_prediction.serving import create_app
from exercises.ex16_income_prediction.tests.conftest import Trained
from exercises.ex16_income_prediction.tests.test_features import people


@pytest.fixture(scope="module")
def service(trained: Trained) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(trained.uri, trained.settings.prefix, refresh_s=0),
                                           host=LOCALHOST, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start in 30 s"
        assert thread.is_alive(), "the service stopped while starting"
        time.sleep(0.05)
    yield f"http://{LOCALHOST}:{port}"
    server.should_exit = True
    thread.join(10)


def body(person: Any) -> dict[str, Any]:
    return {f: getattr(person, f) for f in FEATURES}


def test_predicts_with_the_levels_champion(service: str, trained: Trained, impl: Any) -> None:
    person = next(p for p in people("test", 30, impl) if p.education == "HS-grad")
    answer = httpx.post(f"{service}/predict", json=body(person), timeout=30)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    name = entity_model_name(trained.settings.prefix, "HS-grad")
    model = mlflow.sklearn.load_model(f"models:/{name}/{data['version']}")
    assert data["model"] == name
    assert data["kind"] == "level"
    assert np.isclose(data["probability_over_50k"], model.predict_proba(matrix([person]))[0, 1])
    batch = httpx.post(f"{service}/invocations", json={"instances": [body(person)] * 2}, timeout=30)
    assert batch.status_code == 200, batch.text
    answers = [p["probability_over_50k"] for p in batch.json()["predictions"]]
    assert answers == [data["probability_over_50k"]] * 2
    assert httpx.get(f"{service}/ping", timeout=10).status_code == 200


def test_unknown_level_and_malformed_body_are_4xx_with_a_reason(service: str, impl: Any) -> None:
    person = people("test", 5, impl)[0]
    unknown = httpx.post(f"{service}/predict", json={**body(person), "education": "Kindergarten"}, timeout=30)
    assert unknown.status_code == 404
    assert "Kindergarten" in unknown.json()["detail"]
    assert "HS-grad" in unknown.json()["detail"], "the 404 names the known levels"
    bad = httpx.post(f"{service}/predict", json={**body(person), "age": "old"}, timeout=30)
    assert bad.status_code == 422
    assert "age" in bad.text
    missing = httpx.post(f"{service}/predict", json={"education": "HS-grad"}, timeout=30)
    assert missing.status_code == 422


def test_moving_champion_changes_the_next_answer(service: str, trained: Trained, impl: Any) -> None:
    """Register the Bachelors model as a new HS-grad version, move champion to it, ask again."""
    c = client(trained.uri)
    name = entity_model_name(trained.settings.prefix, "HS-grad")
    other = entity_model_name(trained.settings.prefix, "Bachelors")
    before = c.get_model_version_by_alias(name, "champion")
    source = c.get_model_version_by_alias(other, "champion")
    moved = c.copy_model_version(f"models:/{other}/{source.version}", name)
    for key, value in {"entity": "HS-grad", "entity_type": "education", "kind": "level"}.items():
        c.set_model_version_tag(name, moved.version, key, value)
    person = next(p for p in people("test", 30, impl) if p.education == "HS-grad")
    first = httpx.post(f"{service}/predict", json=body(person), timeout=30).json()
    assert first["version"] == before.version
    c.set_registered_model_alias(name, "champion", moved.version)
    try:
        second = httpx.post(f"{service}/predict", json=body(person), timeout=30).json()
        assert second["version"] == moved.version, "the service must follow the alias to the new version"
        mlflow.set_tracking_uri(trained.uri)
        bachelors = mlflow.sklearn.load_model(f"models:/{other}/{source.version}")
        assert np.isclose(second["probability_over_50k"], bachelors.predict_proba(matrix([person]))[0, 1])
        assert not np.isclose(second["probability_over_50k"], first["probability_over_50k"])
    finally:
        c.set_registered_model_alias(name, "champion", before.version)
