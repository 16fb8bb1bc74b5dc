"""The Deployment's pods under `podman kube play`, three of them behind a load balancer, losing two.

See kube.py for what is played and how it differs from a cluster (three Pods from the Deployment's
template, nginx as the Service, host network).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import httpx
import pytest

from bootcamp.containers import podman, tooling
from exercises.ex03_stateless_api_k8s.kube import local_cluster
from exercises.ex03_stateless_api_k8s.tests.conftest import BOOK


class Load:
    """A client hammering the load balancer in a thread, recording every status (or transport error).

    One connection per request: nginx's reload, our stand-in for an endpoints update, closes idle
    client keep-alive connections (a request racing that close fails with RemoteProtocolError), which
    a cluster's Service never does to clients.
    """

    def __init__(self, url: str, writes: bool) -> None:
        self.url, self.writes = url, writes
        self.statuses: Counter[str] = Counter()
        self.created: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.url, timeout=10, limits=limits) as client:
            while not self._stop.is_set():
                try:
                    if self.writes:
                        made = client.post("/books", json=BOOK)
                        self.statuses[str(made.status_code)] += 1
                        if made.status_code == 201:
                            self.created.append(made.headers["Location"])
                    read = client.get(self.created[-1] if self.created else "/books")
                    self.statuses[str(read.status_code)] += 1
                except httpx.TransportError as exc:
                    self.statuses[type(exc).__name__] += 1

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(15)


@pytest.mark.slow
def test_three_played_pods_behind_nginx_keep_serving_while_pods_die(
        redis_url: str, implemented: None) -> None:
    if tooling().missing:
        pytest.skip(f"container tools missing: {', '.join(tooling().missing)} (apt-packages.txt)")
    with local_cluster(redis_url, namespace=f"kube-{uuid.uuid4().hex[:8]}") as cluster:
        assert [cluster.pod_state(p) for p in cluster.pods] == ["Running"] * 3
        made = httpx.post(f"{cluster.lb.url}/books", json=BOOK)
        assert made.status_code == 201
        for port in cluster.ports:  # every pod answers for a book written through the balancer
            assert httpx.get(f"http://127.0.0.1:{port}{made.headers['Location']}").status_code == 200

        # A pod deleted the way Kubernetes deletes one (out of the Service, preStop, SIGTERM, grace
        # period) under reads and writes: not one request fails.
        with Load(cluster.lb.url, writes=True) as load:
            time.sleep(1.5)
            cluster.delete_pod(cluster.pods[1])
            time.sleep(1.5)
        assert cluster.pod_state(cluster.pods[1]) in {"Exited", "Stopped"}
        assert set(load.statuses) <= {"200", "201"}, load.statuses
        assert load.statuses["201"] > 10

        # A pod that crashes (SIGKILL) under reads: the balancer retries them on the survivor.
        with Load(cluster.lb.url, writes=False) as reads:
            time.sleep(1.0)
            podman("pod", "kill", "--signal", "KILL", cluster.pods[2], timeout=60)
            time.sleep(1.5)
        assert set(reads.statuses) == {"200"}, reads.statuses
        assert reads.statuses["200"] > 10

        # The last pod has every book written while the others went away: the state was never theirs.
        with httpx.Client(base_url=f"http://127.0.0.1:{cluster.ports[0]}") as survivor:
            assert all(survivor.get(path).status_code == 200 for path in load.created)
