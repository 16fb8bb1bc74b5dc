"""The Kubernetes manifests: every overlay renders with `kubectl kustomize` and passes the schemas.

Validation is kubernetes-validate (PyPI) in strict mode against the Kubernetes 1.37 OpenAPI schemas:
unknown fields, wrong types and missing required fields fail. Then the properties the exercise relies on
are asserted on the rendered objects, for every overlay.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
OVERLAYS = ["local", "gke", "eks", "aks"]
K8S_VERSION = "1.33.0"  # a version every managed offering (GKE, EKS, AKS) supports today


def render(directory: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with kustomize built in) is not installed: see apt-packages.txt")
    done = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str, name: str = "books-api") -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_validates_strictly(overlay: str, implemented: None) -> None:
    docs = render(K8S / "overlays" / overlay)
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds


def test_validation_rejects_a_broken_manifest(implemented: None) -> None:
    """The validator is not a rubber stamp: a typo'd field and a wrong type both fail."""
    deployment = by_kind(render(K8S / "base"), "Deployment")
    typo = yaml.safe_load(yaml.safe_dump(deployment))
    typo["spec"]["replica"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, K8S_VERSION, strict=True)
    wrong = yaml.safe_load(yaml.safe_dump(deployment))
    wrong["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_keeps_replicas_probes_limits_and_security(overlay: str, implemented: None) -> None:
    docs = render(K8S / "overlays" / overlay)
    deployment = by_kind(docs, "Deployment")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    (api,) = [c for c in pod["containers"] if c["name"] == "api"]
    assert spec["replicas"] == 3
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert set(api["resources"]["requests"]) == {"cpu", "memory"}
    assert set(api["resources"]["limits"]) == {"cpu", "memory"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert api["securityContext"]["readOnlyRootFilesystem"] is True
    assert api["securityContext"]["allowPrivilegeEscalation"] is False
    assert api["securityContext"]["capabilities"]["drop"] == ["ALL"]
    env = {e["name"]: e for e in api["env"]}
    assert env["STORE"]["value"] == "redis"  # several replicas: never the in-memory store
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "books-api-redis"
    grace = pod["terminationGracePeriodSeconds"]
    assert grace > int(env["GRACEFUL_SHUTDOWN_S"]["value"]) + 5  # preStop sleep + drain fit in it
    selector = spec["selector"]["matchLabels"]
    assert selector.items() <= spec["template"]["metadata"]["labels"].items()
    service = by_kind(docs, "Service")
    assert service["spec"]["selector"] == selector
    pdb = by_kind(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == selector
    assert pdb["spec"]["maxUnavailable"] == 1
    hpa = by_kind(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] == 3
    if overlay == "local":
        secret = by_kind(docs, "Secret", "books-api-redis")
        assert "url" in secret["data"]
        assert api["image"] == "localhost/bootcamp/ex03-books-api:dev"
    else:
        assert service["spec"]["type"] == "LoadBalancer"
        assert not api["image"].startswith("localhost/")
        assert "Secret" not in {d["kind"] for d in docs}  # credentials are created out of band
