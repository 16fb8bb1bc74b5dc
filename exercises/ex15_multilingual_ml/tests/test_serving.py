"""The prediction service over HTTP (uvicorn on a free port): entity models, the language fallback, 4xx."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from bootcamp.services.base import LOCALHOST, free_port
from exercises.ex15_multilingual_ml.register import load_registered
from exercises.ex15_multilingual_ml.tests.conftest import Trained
from exercises.ex15_multilingual_ml.text import sentences


@pytest.fixture(scope="module")
def service(trained: Trained, impl_name: str) -> Iterator[str]:
    from exercises.ex15_multilingual_ml.serving import create_app

    port = free_port()
    app = create_app(trained.uri, trained.settings.prefix, refresh_s=0, impl=impl_name)
    server = uvicorn.Server(uvicorn.Config(app, host=LOCALHOST, port=port, log_level="warning"))
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


TEXT = {"nl": "Kies Opmaak - Cellen en klik op het tabblad", "es": "Elija Formato - Celdas y pulse la",
        "en": "Choose Format - Cells and click the"}


def test_an_entity_with_a_model_is_served_by_it(service: str, trained: Trained) -> None:
    answer = httpx.post(f"{service}/predict", json={"language": "nl", "entity": "scalc", "text": TEXT["nl"]},
                        timeout=60)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["model"] == f"{trained.settings.prefix}-nl-scalc"
    assert data["fallback"] is False
    model = load_registered(f"models:/{data['model']}/{data['version']}")
    rows = model.logprobs(sentences(TEXT["nl"]))
    tokens = sum(len(r) for r in rows)
    assert data["tokens"] == tokens
    assert math.isclose(data["perplexity"], math.exp(-sum(r.sum() for r in rows) / tokens), rel_tol=1e-6)
    expected = [w for w, _ in model.suggest(sentences(TEXT["nl"])[0][:-1], 5)]
    assert [s["word"] for s in data["suggestions"]] == expected


def test_an_entity_without_a_model_falls_back_to_the_language(service: str, trained: Trained) -> None:
    for language in ("nl", "es", "en"):
        answer = httpx.post(f"{service}/predict", json={"language": language, "entity": "swriter",
                                                        "text": TEXT[language], "k": 3}, timeout=60)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert data["model"] == f"{trained.settings.prefix}-{language}"
        assert data["fallback"] is True
        assert len(data["suggestions"]) == 3
        assert data["perplexity"] > 1


def test_unknown_language_and_bad_bodies_are_4xx_with_a_reason(service: str) -> None:
    unknown = httpx.post(f"{service}/predict", json={"language": "fr", "text": "Choisissez"}, timeout=30)
    assert unknown.status_code == 404
    assert "'fr'" in unknown.json()["detail"]
    assert "nl, es, en" in unknown.json()["detail"]
    empty = httpx.post(f"{service}/predict", json={"language": "nl", "text": "   "}, timeout=30)
    assert empty.status_code == 422
    assert "no token" in empty.text
    assert httpx.post(f"{service}/predict", json={"language": "nl"}, timeout=30).status_code == 422
    assert httpx.post(f"{service}/predict", json={"language": "nl", "text": "x", "extra": 1},
                      timeout=30).status_code == 422


def test_batch_route_and_health_probe(service: str) -> None:
    body = {"instances": [{"language": "es", "entity": "smath", "text": TEXT["es"]},
                          {"language": "en", "text": TEXT["en"]}]}
    answer = httpx.post(f"{service}/invocations", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    models = [p["model"] for p in answer.json()["predictions"]]
    assert models[0].endswith("-es-smath")
    assert models[1].endswith("-en")
    assert httpx.get(f"{service}/ping", timeout=10).status_code == 200
