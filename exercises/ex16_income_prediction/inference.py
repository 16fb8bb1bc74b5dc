"""Provided: batch scoring with Beam's RunInference, one scikit-learn model per education level, each
loaded from the Model Registry by alias.

`keyed_handler` resolves `ex16-income-<level>@champion` to a version, downloads that version's
artifacts (the `model.pkl` that `register_level` wrote with cloudpickle) and gives Beam a
`KeyedModelHandler` with one `KeyModelMapping` per level: elements are `(level, features)` pairs and
each is scored by its level's model. `SklearnModelHandlerNumpy` opens the file with `pickle.load`
(Beam's `ModelFileType.PICKLE`), which is why the registry holds pickles and not MLflow 3's default
skops files. The alias is resolved once, when the pipeline is built: a promotion during a run does not
change the models of that run (a batch job should score with one consistent set).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import apache_beam as beam
import mlflow
import numpy as np
from apache_beam.ml.inference.base import KeyedModelHandler, KeyModelMapping, RunInference
from apache_beam.ml.inference.sklearn_inference import ModelFileType, SklearnModelHandlerNumpy
from apache_beam.options.pipeline_options import PipelineOptions
from mlflow.tracking import MlflowClient

from bootcamp.ml.registry import CHAMPION, entity_model_name, version_by_alias
from exercises.ex16_income_prediction.census import Person, features

RUNNER = ["--runner=FnApiRunner"]


class _NoMemoryWarning(logging.Filter):
    """Beam 2.77's `ml.inference.base` imports `resource` in the same `try` as its `model_manager`,
    which imports torch; without torch it sets `resource = None` and logs "Resource module is not
    available" on every batch. The memory figure it would log is not used here: drop that line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Resource module is not available" not in record.getMessage()


logging.getLogger().addFilter(_NoMemoryWarning())


def probability(model: Any, batch: Sequence[np.ndarray], inference_args: dict[str, Any] | None = None) -> Any:
    """P(income > 50K) for a batch (Beam's default numpy inference_fn calls `predict`: labels only)."""
    return model.predict_proba(np.stack(batch, axis=0))[:, 1]


def download_model(mlflow_client: MlflowClient, name: str, alias: str, dest: Path) -> tuple[str, Path]:
    """The version behind `name@alias` and the local path of its `model.pkl`."""
    version = version_by_alias(mlflow_client, name, alias)
    if version is None:
        raise LookupError(f"no registered model {name!r} with alias {alias!r}: "
                          "run the training pipeline first")
    target = dest / name / str(version.version)
    target.mkdir(parents=True, exist_ok=True)
    local = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version.version}",
                                                dst_path=str(target), tracking_uri=mlflow_client.tracking_uri)
    return str(version.version), Path(local) / "model.pkl"


def keyed_handler(mlflow_client: MlflowClient, prefix: str, levels: Iterable[str], dest: Path,
                  alias: str = CHAMPION) -> tuple[KeyedModelHandler, dict[str, str]]:
    """A KeyedModelHandler with each level's `alias` model, and the versions it resolved."""
    mappings: list[KeyModelMapping] = []
    versions: dict[str, str] = {}
    for level in sorted(set(levels)):
        version, path = download_model(mlflow_client, entity_model_name(prefix, level), alias, dest)
        versions[level] = version
        handler = SklearnModelHandlerNumpy(model_uri=str(path), model_file_type=ModelFileType.PICKLE,
                                           inference_fn=probability)
        mappings.append(KeyModelMapping([level], handler))
    return KeyedModelHandler(mappings, max_models_per_worker_hint=len(mappings)), versions


def score_with_run_inference(people: list[Person], handler: KeyedModelHandler, out: Path) -> list[float]:
    """P(>50K) for each person, in input order, through RunInference on the FnApiRunner.

    RunInference's output is `(level, PredictionResult(example, inference))`, unordered; a result is
    matched back to its person by the example itself (identical rows get identical scores anyway).
    """
    out.mkdir(parents=True, exist_ok=True)
    with beam.Pipeline(options=PipelineOptions(RUNNER)) as p:
        _ = (p | beam.Create(people)
             | "Key by level" >> beam.Map(lambda person: (person.education, features(person)))
             | "Score" >> RunInference(handler)
             | "Format" >> beam.MapTuple(lambda level, result: json.dumps(
                 [level, [_plain(v) for v in result.example], float(result.inference)]))
             | beam.io.WriteToText(str(out / "scores"), ".jsonl", shard_name_template=""))
    scored = {(level, tuple(example)): value for level, example, value in
              (json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines() if line)}
    return [scored[(p.education, tuple(_plain(v) for v in features(p)))] for p in people]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
