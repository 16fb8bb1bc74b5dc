"""The MLflow service's configuration and the registry helpers' pure parts (no server started here;
exercise 16's tests run the real server: registration, aliases, reload)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootcamp.ml.registry import entity_model_name
from bootcamp.services import all_services, get_service
from bootcamp.services.mlflow import TELEMETRY_OFF


def test_mlflow_is_a_service_bound_to_localhost_with_sqlite_and_proxied_artifacts(tmp_path: Path) -> None:
    assert "mlflow" in all_services()
    argv = get_service("mlflow").command(5123, tmp_path)
    assert argv[1:4] == ["-m", "mlflow", "server"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--backend-store-uri") + 1] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert argv[argv.index("--artifacts-destination") + 1] == str(tmp_path / "artifacts")


def test_telemetry_is_off_for_the_server_and_its_clients() -> None:
    service = get_service("mlflow")
    assert TELEMETRY_OFF == {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    assert service.extra_env() == TELEMETRY_OFF
    assert service.env_for("http://127.0.0.1:5123") == {"MLFLOW_TRACKING_URI": "http://127.0.0.1:5123",
                                                        **TELEMETRY_OFF}


def test_an_external_tracking_uri_replaces_the_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://mlflow.example.com")
    assert get_service("mlflow").start() == "https://mlflow.example.com"


def test_entity_model_names_are_registry_safe_slugs() -> None:
    assert entity_model_name("ex16-income", "HS-grad") == "ex16-income-hs-grad"
    assert entity_model_name("ex16-income", "7th-8th") == "ex16-income-7th-8th"
    assert entity_model_name("ex15-lm", "Writer / Calc") == "ex15-lm-writer-calc"
    with pytest.raises(ValueError, match="empty model name"):
        entity_model_name("ex16-income", "--")
