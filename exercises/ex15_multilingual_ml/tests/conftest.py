"""Shared inputs: a small real sample of the corpus with hand-made bad lines, one pipeline run, one
MLflow server and one trained + registered run per session.

The sample keeps two help modules (`scalc`, `smath`) of the committed corpus in all three languages.
The session's settings are tiny (vocabulary of 600 outcomes, a few dozen steps): every language then
has the same vocabulary size, so XLA compiles the training step once for all of them. Each session
registers under its own prefix, so runs of the suite never see each other's versions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from exercises.ex15_multilingual_ml.corpus import data_file
from exercises.ex15_multilingual_ml.neural import NeuralConfig
from exercises.ex15_multilingual_ml.training import Settings

if TYPE_CHECKING:  # Beam's import costs 3 s; most tests here do not run the pipeline
    from exercises.ex15_multilingual_ml.pipeline import Shards

ENTITIES = ("scalc", "smath")
SPANISH_IN_ENGLISH = ("La hoja de cálculo permite insertar filas y columnas. Para eliminar una fila, "
                      "seleccione la fila y elija la orden del menú que corresponde a las filas.")
BAD_LINES = {
    "not json": '{"doc_id": "scalc/x", "language": "nl", "entity": "scalc", "text": "Kies',
    "unknown language": json.dumps({"doc_id": "scalc/fr", "language": "fr", "entity": "scalc",
                                    "text": "Choisissez le menu Format pour modifier les cellules."}),
    "missing field": json.dumps({"doc_id": "scalc/y", "language": "nl", "text": "Kies Opmaak."}),
    "mislabelled": json.dumps({"doc_id": "scalc/z", "language": "en", "entity": "scalc",
                               "text": SPANISH_IN_ENGLISH}),
    "empty": json.dumps({"doc_id": "scalc/e", "language": "es", "entity": "scalc", "text": "   \n "}),
}


def sample_lines() -> list[str]:
    return [line for line in data_file().read_text(encoding="utf-8").splitlines()
            if json.loads(line)["entity"] in ENTITIES]


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ex15-data") / "corpus.jsonl"
    path.write_text("\n".join([*sample_lines(), *BAD_LINES.values()]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def shards(corpus_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Shards:
    from exercises.ex15_multilingual_ml import pipeline

    return pipeline.run(corpus_file, tmp_path_factory.mktemp("ex15-pipeline"))


def tiny_settings(**changes: Any) -> Settings:
    base = Settings(max_vocab=600, min_count=2,
                    language=NeuralConfig(steps=80, dim=24, hidden=48, batch=32, learning_rate=0.01),
                    entity=NeuralConfig(steps=25, dim=24, hidden=48, batch=32, learning_rate=0.003),
                    entities=ENTITIES)
    return Settings(**{**base.__dict__, **changes})


@pytest.fixture(scope="session")
def settings() -> Settings:
    return tiny_settings(prefix=f"t{uuid.uuid4().hex[:8]}-lm")


@pytest.fixture(scope="session")
def mlflow_uri(local_service: Callable[[str], str]) -> str:
    return local_service("mlflow")


@dataclass(frozen=True)
class Trained:
    out: Path
    evaluation: dict[str, Any]
    promotion: list[dict[str, Any]]
    settings: Settings
    uri: str

    def row(self, language: str, entity: str | None) -> dict[str, Any]:
        return next(r for r in self.evaluation["rows"] if r["language"] == language and r["entity"] == entity)


@pytest.fixture(scope="session")
def trained(impl_name: str, shards: Shards, settings: Settings, mlflow_uri: str) -> Trained:
    """The CI steps `train` and `promote` once per session on the sample, into the session's registry."""
    from exercises.ex15_multilingual_ml import ci

    evaluation = ci.step_train(shards.root, settings, impl_name)
    promotion = ci.step_promote(shards.root, settings, mlflow_uri, impl_name, experiment=settings.prefix)
    return Trained(shards.root, evaluation, promotion, settings, mlflow_uri)
