"""Run the Kubernetes Deployment here: `podman kube play` for the pods, nginx as the Service.

What is real: the pod spec comes from the kustomize base rendered by `kubectl kustomize` (image,
env, resources, securityContext, probes), podman runs it with runc as non-root with a read-only root
filesystem, and three pods serve behind a real load balancer (nginx, round robin, passive health
checks, retry of idempotent requests on a refused connection).

What differs from a cluster, and why:
- podman runs one pod per Deployment (it caps `replicas` at 1), so the Deployment's pod template is
  played as three Pods, `books-api-0..2`, as a ReplicaSet would create them.
- podman has no Service and no kube-proxy; nginx stands in for the Service's load balancing.
- The pods use the host network (CNI bridges would need a Redis reachable off loopback; the project's
  Redis binds 127.0.0.1 only), so each pod gets its own PORT instead of its own IP.
- The Secret becomes a plain env value (podman's Secret support needs `podman secret create`).

    python -m exercises.ex03_stateless_api_k8s.kube up     # build image if needed, play 3 pods + nginx
    python -m exercises.ex03_stateless_api_k8s.kube down
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from bootcamp.containers import podman
from bootcamp.errors import BootcampError
from bootcamp.paths import state_dir
from bootcamp.services.base import free_port
from exercises.ex03_stateless_api_k8s.image import IMAGE, build_api_image

BASE = Path(__file__).resolve().parent / "deploy" / "k8s" / "base"
POD_PREFIX = "books-api-"


def render(directory: Path = BASE) -> list[dict[str, Any]]:
    """`kubectl kustomize <directory>` as Python objects."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise BootcampError("kubectl is not installed", hint="see ex03's apt-packages.txt")
    done = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False,
                          timeout=60)
    if done.returncode != 0:
        raise BootcampError(f"kubectl kustomize failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def pods_from_deployment(deployment: dict[str, Any], ports: list[int], image: str,
                         env: dict[str, str]) -> list[dict[str, Any]]:
    """The Deployment's pod template as one Pod per port, with the local adjustments listed above."""
    pods = []
    for index, port in enumerate(ports):
        template = copy.deepcopy(deployment["spec"]["template"])
        spec = template["spec"]
        spec["hostNetwork"] = True
        spec.pop("topologySpreadConstraints", None)
        for container in spec["containers"]:
            container["image"] = image
            container["imagePullPolicy"] = "Never"
            values = {**{e["name"]: e.get("value") for e in container.get("env", [])},
                      **env, "PORT": str(port), "HOST": "127.0.0.1"}
            container["env"] = [{"name": k, "value": v} for k, v in values.items()]
            container.pop("ports", None)  # podman refuses port mappings on the host network
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe in container:
                    container[probe]["httpGet"]["port"] = port
        pods.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"{POD_PREFIX}{index}", "labels": template["metadata"]["labels"]},
                     "spec": spec})
    return pods


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {home}/tmp/body;
    proxy_temp_path {home}/tmp/proxy;
    fastcgi_temp_path {home}/tmp/fastcgi;
    uwsgi_temp_path {home}/tmp/uwsgi;
    scgi_temp_path {home}/tmp/scgi;
    upstream books_api {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://books_api;
            proxy_http_version 1.1;
            proxy_connect_timeout 1s;
            # A refused connection (pod gone) is retried on the next pod for every method, since
            # nothing was sent; a failure after sending is retried only for idempotent methods.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""


@dataclass
class LoadBalancer:
    """nginx from Debian, in the foreground in its own session, on 127.0.0.1:<port>."""

    home: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write_conf(self, upstream_ports: list[int], down: set[int]) -> Path:
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s"
                            f"{' down' if p in down else ''};" for p in upstream_ports)
        conf = self.home / "nginx.conf"
        conf.write_text(NGINX_CONF.format(home=self.home, servers=servers, port=self.port))
        return conf

    def set_endpoints(self, upstream_ports: list[int], down: set[int]) -> None:
        """What the endpoints controller does for a terminating pod: stop routing new requests to it.

        nginx reloads on SIGHUP: new workers take the new upstream list, old ones finish their requests.
        """
        assert self.process is not None
        self._write_conf(upstream_ports, down)
        os.killpg(self.process.pid, signal.SIGHUP)

    def start(self, upstream_ports: list[int]) -> LoadBalancer:
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
        if nginx is None:
            raise BootcampError("nginx is not installed", hint="apt-get install nginx-light")
        (self.home / "tmp").mkdir(parents=True, exist_ok=True)
        conf = self._write_conf(upstream_ports, set())
        with (self.home / "nginx.out").open("ab") as out:
            self.process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(self.home)], stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)  # nginx: graceful shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


@dataclass
class LocalCluster:
    """Three played pods and the load balancer in front of them."""

    manifest: Path
    pods: list[str]
    ports: list[int]
    lb: LoadBalancer

    def delete_pod(self, name: str, grace_s: int = 10, pre_stop_s: float = 1.0) -> None:
        """Delete a pod as Kubernetes does: out of the Service first, then (after preStop) SIGTERM.

        Without the first step a request can reach a pod whose server has begun closing idle
        connections, and a POST already sent is not retried: a 502 (the test saw them). That race is
        why the Deployment has a preStop sleep.
        """
        index = self.pods.index(name)
        self.lb.set_endpoints(self.ports, down={self.ports[index]})
        time.sleep(pre_stop_s)
        podman("pod", "stop", "-t", str(grace_s), name, timeout=grace_s + 60)

    def pod_state(self, name: str) -> str:
        data = json.loads(podman("pod", "inspect", name).stdout)
        state: str = (data[0] if isinstance(data, list) else data)["State"]
        return state


def _wait_ready(urls: list[str], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(pending[0], timeout=1).status_code == 200:
                pending.pop(0)
                continue
        time.sleep(0.3)
    if pending:
        raise BootcampError(f"not ready within {timeout_s}s: {', '.join(pending)}")


def kube_down(manifest: Path) -> None:
    if manifest.is_file():
        podman("kube", "down", str(manifest), check=False, timeout=120)


@contextlib.contextmanager
def local_cluster(redis_url: str, replicas: int = 3, namespace: str = "books",
                  build: bool = True) -> Iterator[LocalCluster]:
    """Play the Deployment as `replicas` pods on REDIS_URL, put nginx in front, tear it all down after."""
    image = build_api_image() if build else IMAGE
    home = state_dir() / "ex03" / "kube"
    home.mkdir(parents=True, exist_ok=True)
    deployment = next(d for d in render() if d["kind"] == "Deployment")
    ports = [free_port() for _ in range(replicas)]
    env = {"REDIS_URL": redis_url, "REDIS_NAMESPACE": namespace,
           "BOOTCAMP_IMPL": os.environ.get("BOOTCAMP_IMPL", "solution")}
    pods = pods_from_deployment(deployment, ports, image, env)
    manifest = home / "pods.yaml"
    kube_down(manifest)
    manifest.write_text(yaml.safe_dump_all(pods, sort_keys=False))
    lb = LoadBalancer(home / "nginx", free_port())
    try:
        podman("kube", "play", "--replace", str(manifest), timeout=300)
        _wait_ready([f"http://127.0.0.1:{p}/readyz" for p in ports])
        lb.start(ports)
        _wait_ready([f"{lb.url}/readyz"], timeout_s=15)
        yield LocalCluster(manifest, [p["metadata"]["name"] for p in pods], ports, lb)
    finally:
        lb.stop()
        kube_down(manifest)


def main(argv: list[str]) -> int:
    """`up` plays the pods and nginx and waits for Ctrl-C; `down` removes leftover pods."""
    from bootcamp.services import get_service

    command = argv[0] if argv else "up"
    if command == "down":
        kube_down(state_dir() / "ex03" / "kube" / "pods.yaml")
        return 0
    redis_url = os.environ.get("REDIS_URL") or get_service("redis").start()
    with local_cluster(redis_url) as cluster:
        print(f"3 pods {', '.join(cluster.pods)} behind nginx at {cluster.lb.url} (Ctrl-C stops)", flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
