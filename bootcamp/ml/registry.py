"""Model Registry helpers shared by the ML exercises (16, and 15 after it): one registered model per
entity, entity in tags, aliases (`champion`, `challenger`) instead of the deprecated stages.

- `tracking_uri()`: `MLFLOW_TRACKING_URI` when set (a remote server), else the project's local
  `mlflow` service, started on demand.
- `entity_model_name(prefix, entity)`: a registry-safe name per entity (`ex16-income-hs-grad`).
- `promote(...)`: move `champion` to a version only when its metric beats the current champion's.
- `AliasedModels`: a cache that serves `name@alias`, and reloads when the alias moves to another
  version (checked at most every `refresh_s` seconds): what a serving process needs to follow a
  promotion without a restart.

Telemetry is switched off before `mlflow` is first imported (MLflow reads the variables when it
decides whether to send usage data).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bootcamp.services.mlflow import TELEMETRY_OFF

for _key, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_key, _value)

from mlflow.entities.model_registry import ModelVersion  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

CHAMPION, CHALLENGER = "champion", "challenger"
ENTITY_TAG, ENTITY_TYPE_TAG = "entity", "entity_type"


def tracking_uri() -> str:
    """The tracking server to use: the environment's, or the local service (started if needed)."""
    external = os.environ.get("MLFLOW_TRACKING_URI")
    if external:
        return external
    from bootcamp.services import get_service

    return get_service("mlflow").start()


def client(uri: str | None = None) -> MlflowClient:
    """A client for `uri` (default `tracking_uri()`); also its registry (same server)."""
    uri = uri or tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def entity_model_name(prefix: str, entity: str) -> str:
    """`ex16-income` + `HS-grad` -> `ex16-income-hs-grad`: lower case, runs of other characters as `-`."""
    slug = re.sub(r"[^a-z0-9]+", "-", entity.lower()).strip("-")
    if not slug:
        raise ValueError(f"entity {entity!r} gives an empty model name")
    return f"{prefix}-{slug}"


def version_by_alias(mlflow_client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version `alias` points at, or None when the model or the alias does not exist."""
    try:
        return mlflow_client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def promote(mlflow_client: MlflowClient, name: str, version: str, metric: str, *,
            higher_is_better: bool = True, alias: str = CHAMPION) -> bool:
    """Point `alias` at `version` if it has no holder, or if `version`'s `metric` (a version tag,
    a number) beats the holder's. True when the alias moved. Ties promote the newer version."""
    candidate = mlflow_client.get_model_version(name, version)
    current = version_by_alias(mlflow_client, name, alias)
    if current is not None and current.version != candidate.version:
        new, old = float(candidate.tags.get(metric, "nan")), float(current.tags.get(metric, "nan"))
        better = new >= old if higher_is_better else new <= old
        if not better:   # NaN compares False: a version without the metric never replaces one with it
            return False
    mlflow_client.set_registered_model_alias(name, alias, version)
    return True


@dataclass(frozen=True)
class Loaded:
    """A model as served: which registered model, which version, and the loaded object."""

    name: str
    alias: str
    version: str
    tags: dict[str, str]
    model: Any


class ModelNotFound(LookupError):
    """No registered model of that name, or no version behind that alias."""


class AliasedModels:
    """`name@alias` -> the loaded model, reloaded when the alias moves.

    The alias is resolved again at most every `refresh_s` seconds (0: on every call; one small REST
    call). A version once loaded is kept until the alias leaves it, so a promotion costs one load.
    `loader(uri)` loads a `models:/name/version` URI (e.g. `mlflow.sklearn.load_model`).
    """

    def __init__(self, mlflow_client: MlflowClient, loader: Callable[[str], Any], *,
                 refresh_s: float = 5.0) -> None:
        self._client = mlflow_client
        self._loader = loader
        self._refresh_s = refresh_s
        self._loaded: dict[tuple[str, str], Loaded] = {}
        self._checked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def get(self, name: str, alias: str = CHAMPION) -> Loaded:
        key = (name, alias)
        now = time.monotonic()
        with self._lock:
            cached = self._loaded.get(key)
            if cached is not None and now - self._checked.get(key, 0.0) < self._refresh_s:
                return cached
        version = version_by_alias(self._client, name, alias)
        if version is None:
            raise ModelNotFound(f"no registered model {name!r} with alias {alias!r}")
        if cached is None or cached.version != version.version:
            cached = Loaded(name, alias, version.version, dict(version.tags),
                            self._loader(f"models:/{name}/{version.version}"))
        with self._lock:
            self._loaded[key] = cached
            self._checked[key] = now
        return cached
