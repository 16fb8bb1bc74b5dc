"""The Pub/Sub emulator service and the shared admin helpers, against the real emulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from google.cloud import pubsub_v1

from bootcamp.pubsub.admin import DeadLetter, Retry, delete_subscription, delete_topic, ensure_subscription
from bootcamp.pubsub.admin import ensure_topic as make_topic
from bootcamp.services.pubsub import PubSubService, emulator_jar, java_binary


def test_requirements_name_what_is_missing_and_how() -> None:
    requirements = PubSubService().requirements()
    assert [r.present for r in requirements] == [java_binary() is not None, emulator_jar() is not None]
    assert all(r.fix for r in requirements)


@pytest.mark.integration
def test_idempotent_topics_and_subscriptions_with_policies(local_service: Callable[[str], str]) -> None:
    endpoint = local_service("pubsub")
    assert PubSubService().is_healthy(endpoint)
    name = f"adm-{uuid.uuid4().hex[:8]}"
    topic = make_topic(name)
    assert make_topic(name) == topic
    kwargs = {"dead_letter": DeadLetter(f"{name}-dlq", max_delivery_attempts=7),
              "retry": Retry(minimum_s=0.5, maximum_s=20)}
    path = ensure_subscription(f"{name}-sub", name, **kwargs)  # type: ignore[arg-type]
    assert ensure_subscription(f"{name}-sub", name, **kwargs) == path  # type: ignore[arg-type]
    got = pubsub_v1.SubscriberClient().get_subscription(request={"subscription": path})
    assert got.topic == topic
    assert got.dead_letter_policy.dead_letter_topic.endswith(f"/topics/{name}-dlq")
    assert got.dead_letter_policy.max_delivery_attempts == 7
    assert got.retry_policy.minimum_backoff.total_seconds() == 0.5
    assert got.retry_policy.maximum_backoff.total_seconds() == 20
    delete_subscription(path)
    delete_subscription(path)
    delete_topic(topic)
    delete_topic(got.dead_letter_policy.dead_letter_topic)


def test_doctor_names_the_missing_emulator_and_how_to_get_it(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    import bootcamp.services.pubsub as module

    monkeypatch.setattr(module, "EMULATOR_DIRS", (tmp_path / "nowhere",))
    monkeypatch.delenv("CLOUDSDK_ROOT_DIR", raising=False)
    missing = [r for r in PubSubService().requirements() if not r.present]
    assert [r.what for r in missing] == ["the Pub/Sub emulator jar (google-cloud-cli-pubsub-emulator)"]
    assert "apt-get install -y google-cloud-cli-pubsub-emulator" in missing[0].fix
    assert "gcloud components install pubsub-emulator" in missing[0].fix
