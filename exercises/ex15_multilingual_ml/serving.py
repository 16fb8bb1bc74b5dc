"""Provided: the serving app, FastAPI, one language model per language and per (language, entity).

`POST /predict {"language": "nl", "entity": "scalc", "text": "Kies Opmaak - "}` answers the `k` likeliest
next words after the text's last line, the text's perplexity per token under the model that served,
and which model that was: the entity's `champion` when it has one, else the language's (the fallback,
`"fallback": true`; `promotion.serving_model`, the learner's part 4). A language the registry has no
model for is a 404 naming the served languages; a malformed body is FastAPI's 422; a text with no
token is a 422 saying so.

The alias is re-resolved at most every `EX15_REFRESH_S` seconds (0: every request), so a promotion
changes the answers without a restart. `POST /invocations` (`{"instances": [...]}`) and `GET /ping`
are the routes SageMaker calls; Vertex AI is pointed at the same ones (deploy/vertex_model.json).

Run it: `uvicorn --factory exercises.ex15_multilingual_ml.serving:app_from_env --port 8080`, with
`MLFLOW_TRACKING_URI` pointing at the registry.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from bootcamp.ml.registry import CHAMPION, AliasedModels, client, tracking_uri, version_by_alias
from exercises.ex15_multilingual_ml.corpus import LANGUAGES
from exercises.ex15_multilingual_ml.register import load_registered
from exercises.ex15_multilingual_ml.text import sentences, tokenize
from exercises.ex15_multilingual_ml.training import implementation


class PredictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = Field(min_length=2, max_length=8)
    entity: str | None = Field(default=None, max_length=64)
    text: str = Field(min_length=1, max_length=20_000)
    k: int = Field(default=5, ge=1, le=50)


class Instances(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[PredictIn] = Field(min_length=1, max_length=1000)


class Suggestion(BaseModel):
    word: str
    probability: float


class Prediction(BaseModel):
    language: str
    entity: str | None
    model: str
    version: str
    fallback: bool
    perplexity: float
    tokens: int
    unk_tokens: int
    suggestions: list[Suggestion]


def create_app(uri: str, prefix: str = "ex15-lm", alias: str = CHAMPION, refresh_s: float = 5.0,
               impl: str | None = None) -> FastAPI:
    mlflow_client = client(uri)
    models = AliasedModels(mlflow_client, load_registered, refresh_s=refresh_s)
    promotion = implementation("promotion", impl)
    evaluate = implementation("evaluate", impl)
    app = FastAPI(title="ex15 language models per language and help module")

    def has_champion(name: str) -> bool:
        return version_by_alias(mlflow_client, name, alias) is not None

    @app.get("/health")
    @app.get("/ping")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/invocations")
    def invocations(body: Instances) -> dict[str, list[Prediction]]:
        return {"predictions": [predict(item) for item in body.instances]}

    @app.post("/predict")
    def predict(body: PredictIn) -> Prediction:
        try:
            name, fallback = promotion.serving_model(body.language, body.entity or None, has_champion, prefix,
                                                     LANGUAGES)
        except promotion.UnknownLanguage as exc:
            raise HTTPException(404, detail=str(exc)) from None
        loaded = models.get(name, alias)
        model = loaded.model
        text = sentences(body.text)
        if not text:
            raise HTTPException(422, detail="the text has no token (letters, digits or punctuation)")
        scored = evaluate.perplexity(model.logprobs, text, model.vocab)
        last_line = [line for line in body.text.splitlines() if line.strip()][-1]
        suggestions = [Suggestion(word=w, probability=p)
                       for w, p in model.suggest(tokenize(last_line), body.k)]
        return Prediction(language=body.language, entity=body.entity, model=name, version=loaded.version,
                          fallback=fallback, perplexity=scored.value, tokens=scored.tokens,
                          unk_tokens=scored.unk_tokens, suggestions=suggestions)

    return app


def app_from_env() -> FastAPI:
    """The app configured by the environment (what the container runs)."""
    return create_app(tracking_uri(), os.environ.get("EX15_PREFIX", "ex15-lm"),
                      os.environ.get("EX15_ALIAS", CHAMPION), float(os.environ.get("EX15_REFRESH_S", "5")))
