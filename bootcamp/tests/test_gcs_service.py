"""The local Cloud Storage service against the real gcp-storage-emulator: lifecycle and client wiring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootcamp.services import all_services
from bootcamp.services.base import free_port, pid_alive
from bootcamp.services.gcs import GcsService, emulator_credentials_file, use_emulator_credentials


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GcsService]:
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("BOOTCAMP_GCS_PORT", str(free_port()))
    service = GcsService()
    yield service
    service.stop()


def test_gcs_is_discovered() -> None:
    assert "gcs" in all_services()


def test_start_reuse_status_and_stop(isolated: GcsService) -> None:
    endpoint = isolated.start()
    assert endpoint.startswith("http://127.0.0.1:")
    status = isolated.status()
    assert status.state == "running"
    assert status.pid is not None
    assert os.getpgid(status.pid) == status.pid
    assert isolated.start() == endpoint, "a running emulator is reused"
    assert isolated.client_env() == {"STORAGE_EMULATOR_HOST": endpoint}
    pid = status.pid
    assert isolated.stop()
    assert not pid_alive(pid)
    assert isolated.status().state == "stopped"


def test_google_cloud_storage_reaches_it_by_environment_alone(isolated: GcsService,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from google.cloud import storage

    endpoint = isolated.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint)
    client = storage.Client()
    bucket = client.create_bucket("bootcamp-gcs-test")
    bucket.blob("a/b.txt").upload_from_string("hello")
    assert [b.name for b in client.list_blobs("bootcamp-gcs-test")] == ["a/b.txt"]
    assert bucket.blob("a/b.txt").download_as_text() == "hello"


def test_dummy_credentials_only_with_the_emulator(isolated: GcsService,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    assert not use_emulator_credentials(), "no emulator: real ADC are left alone"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:1")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/my/own.json")
    assert not use_emulator_credentials(), "the user's own credentials win"
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    assert use_emulator_credentials()
    assert os.environ["GOOGLE_APPLICATION_CREDENTIALS"] == str(emulator_credentials_file())

    import google.auth

    credentials, _ = google.auth.default()  # loads offline, no retry, no network
    assert credentials.valid
