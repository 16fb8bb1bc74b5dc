"""The container image, built and run here with podman (runc, chroot-isolated build, local base image).

Slow the first time on a machine (debootstrap of the base image, then pip in the build stage: about
three minutes); podman's layer cache and the cached base image make later runs take seconds.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from bootcamp.containers import podman, running, tooling, wait_until
from bootcamp.services.base import free_port
from exercises.ex03_stateless_api_k8s.image import build_api_image
from exercises.ex03_stateless_api_k8s.tests.conftest import BOOK


@pytest.fixture(scope="module")
def image() -> str:
    missing = tooling().missing
    if missing:
        pytest.skip(f"container tools missing: {', '.join(missing)} (apt-packages.txt)")
    return build_api_image()


@pytest.mark.slow
def test_image_is_multi_stage_non_root_with_a_health_check(image: str, implemented: None) -> None:
    user = podman("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip()
    assert user == "10001:10001"
    history = podman("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    assert "HEALTHCHECK" in history
    assert "pip install" not in history  # the pip step lives in the build stage only
    listing = podman("run", "--rm", "--network=host", image, "sh", "-c",
                     "ls /tmp/requirements.txt 2>&1; ls /opt/venv/bin; python3 -c 'import uvicorn'").stdout
    assert "No such file" in listing  # the build stage's inputs did not leak into the runtime image
    assert "uvicorn" in listing
    assert "pip" not in listing  # nor did pip: nothing can be installed into a running container


@pytest.mark.slow
def test_container_serves_the_api_on_redis_and_stops_cleanly(
        image: str, redis_url: str, implemented: None, impl_name: str) -> None:
    port = free_port()
    env = {"PORT": str(port), "REDIS_URL": redis_url, "REDIS_NAMESPACE": f"ctr-{uuid.uuid4().hex[:8]}",
           "BOOTCAMP_IMPL": impl_name}
    url = f"http://127.0.0.1:{port}"
    with running(image, f"ex03-test-{uuid.uuid4().hex[:6]}", env) as container:
        assert wait_until(lambda: httpx.get(f"{url}/readyz", timeout=1).status_code == 200, 30), \
            container.logs()
        created = httpx.post(f"{url}/books", json=BOOK)
        assert created.status_code == 201
        path, tag = created.headers["Location"], created.headers["ETag"]
        assert httpx.put(f"{url}{path}", json=BOOK, headers={"If-Match": tag}).status_code == 200
        assert httpx.put(f"{url}{path}", json=BOOK, headers={"If-Match": tag}).status_code == 412
        assert podman("exec", container.name, "id", "-u").stdout.strip() == "10001"
        assert container.health() == "healthy"
        container.stop(timeout_s=15)
        state = container.inspect()["State"]
        assert isinstance(state, dict)
        assert state["ExitCode"] == 0  # SIGTERM: drained, lifespan shutdown, exit 0
        assert "Application shutdown complete" in container.logs()
