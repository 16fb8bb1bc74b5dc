"""Container images and containers without Docker: podman, a Debian base image made here, runc.

No registry but PyPI, Debian and npm is reachable from these machines, so `FROM python:3.11-slim` cannot
be pulled. Instead the base image is made locally, once: `debootstrap` installs a minimal Debian
bookworm (whose python3 is 3.11, the version this project pins) from the Debian mirror, the tree is
packed into `.bootcamp/containers/<name>.tar`, and `podman import` turns it into an image. Later calls
find the image (or re-import the cached tarball after a `podman system reset`) and return in a second.

Builds use `--isolation=chroot` (no nested user namespaces or OCI runtime needed for RUN steps) and
containers run under runc with host networking, the combination that works on a root VM with no
systemd and no Docker. On a laptop with Docker, `docker build` on the same Dockerfile works unchanged
with `--build-arg BASE_IMAGE=python:3.11-slim-bookworm`.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootcamp.errors import BootcampError
from bootcamp.paths import state_dir

BASE_IMAGE = "localhost/bootcamp/debian-python:bookworm"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = os.environ.get("BOOTCAMP_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# python3-venv brings ensurepip, so the builder stage can make a venv and pip-install from PyPI.
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates", "curl")
RUNTIME = "runc"


@dataclass(frozen=True)
class Tooling:
    """Which container tools this machine has."""

    podman: str | None
    runc: str | None
    debootstrap: str | None

    @property
    def missing(self) -> list[str]:
        return [name for name, path in (("podman", self.podman), ("runc", self.runc),
                                        ("debootstrap", self.debootstrap)) if path is None]


def tooling() -> Tooling:
    """Where podman, runc and debootstrap are (debootstrap lives in /usr/sbin)."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    return Tooling(shutil.which("podman", path=path), shutil.which("runc", path=path),
                   shutil.which("debootstrap", path=path))


def require_tooling() -> Tooling:
    """The tools, or one clear error naming what to install."""
    tools = tooling()
    if tools.missing:
        raise BootcampError(f"container tools missing: {', '.join(tools.missing)}",
                            hint=f"apt-get install {' '.join(tools.missing)} (or bash scripts/setup.sh)")
    return tools


def podman(*args: str, check: bool = True, timeout: float = 600,
           capture: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `podman --runtime runc ...`; on failure raise with podman's own last lines."""
    tools = require_tooling()
    assert tools.podman is not None
    argv = [tools.podman, "--runtime", RUNTIME, "--cgroup-manager", "cgroupfs", *args]
    env = {**os.environ, "CONTAINERS_CONF": str(containers_conf())}
    result = subprocess.run(argv, capture_output=capture, text=True, timeout=timeout, check=False, env=env)
    if check and result.returncode != 0:
        tail = " | ".join((result.stderr or result.stdout or "").strip().splitlines()[-4:])
        raise BootcampError(f"podman {args[0]} failed ({result.returncode}): {tail}")
    return result


def containers_conf() -> Path:
    """A containers.conf whose default open-files limit is this machine's hard limit.

    Rootful podman asks runc for nofile=1048576 in every container; where the host's hard limit is
    lower (20000 on these VMs) runc fails with "error setting rlimit type 7: operation not permitted".
    Likewise nproc. Pinning the defaults to the hard limits fixes `podman run` and `kube play` alike.
    """
    # runc applies these from inside the container's init, where the limits can be lower than this
    # process's (32768 processes on these VMs), and raising one fails: stay well below.
    limits = []
    caps = (("nofile", resource.RLIMIT_NOFILE, 16384), ("nproc", resource.RLIMIT_NPROC, 4096))
    for name, which, cap in caps:
        hard = resource.getrlimit(which)[1]
        value = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
        limits.append(f'"{name}={value}:{value}"')
    path = cache_dir() / "containers.conf"
    text = f"[containers]\ndefault_ulimits = [{', '.join(limits)}]\n"
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def image_exists(ref: str) -> bool:
    return podman("image", "exists", ref, check=False).returncode == 0


def cache_dir() -> Path:
    path = state_dir() / "containers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_base_image(ref: str = BASE_IMAGE) -> str:
    """The local Debian+Python base image, made by debootstrap the first time (minutes), then cached."""
    if image_exists(ref):
        return ref
    tarball = cache_dir() / "debian-python-bookworm.tar"
    if not tarball.is_file():
        _debootstrap_tarball(tarball)
    podman("import", "--change", "CMD [\"/bin/bash\"]", "--change", "ENV LANG=C.UTF-8",
           str(tarball), ref)
    return ref


def _debootstrap_tarball(tarball: Path) -> None:
    tools = require_tooling()
    assert tools.debootstrap is not None
    with tempfile.TemporaryDirectory(dir=cache_dir(), prefix="rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        log = cache_dir() / "debootstrap.log"
        with log.open("w") as handle:
            result = subprocess.run(
                [tools.debootstrap, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
                 DEBIAN_SUITE, str(root), DEBIAN_MIRROR],
                stdout=handle, stderr=subprocess.STDOUT, timeout=1800, check=False)
        if result.returncode != 0:
            raise BootcampError(f"debootstrap of Debian {DEBIAN_SUITE} failed", hint=f"see {log}")
        _trust_local_cas(root)
        # Smaller image: no apt lists or caches, no docs.
        for junk in ("var/lib/apt/lists", "var/cache/apt/archives", "usr/share/doc", "usr/share/man"):
            target = root / junk
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir()
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True, timeout=600)
        partial.rename(tarball)


def _trust_local_cas(root: Path) -> None:
    """Add the machine's own CAs (/usr/local/share/ca-certificates) to the image's trust store.

    Where egress goes through a TLS-inspecting proxy (as on these VMs), pip inside a build can reach
    PyPI only if the image trusts that proxy's CA, exactly as the host does. The base image is local
    to this machine and never pushed, so this changes nothing anywhere else.
    """
    extra = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    if not extra:
        return
    target = root / "usr/local/share/ca-certificates"
    target.mkdir(parents=True, exist_ok=True)
    for cert in extra:
        shutil.copy2(cert, target / cert.name)
    subprocess.run(["chroot", str(root), "update-ca-certificates"], check=True, timeout=120,
                   capture_output=True)


def build_image(context: Path, tag: str, dockerfile: Path | None = None,
                build_args: dict[str, str] | None = None) -> str:
    """`podman build --isolation=chroot` on the local base image; layers are cached by podman."""
    base = ensure_base_image()
    # --format docker: the OCI image format has no HEALTHCHECK, and podman drops it without one.
    args = ["build", "--isolation=chroot", "--network=host", "--layers", "--format", "docker", "-t", tag,
            "--build-arg", f"BASE_IMAGE={base}"]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    if dockerfile is not None:
        args += ["-f", str(dockerfile)]
    podman(*args, str(context), timeout=1200)
    return tag


def stage_context(root: Path, paths: Sequence[str], dest: Path) -> Path:
    """Copy only `paths` (files or folders, relative to `root`) into `dest`: a small build context.

    The repository holds .venv and .bootcamp (gigabytes); sending them to the builder would be slow,
    and an ignore file at the root would be one more thing to keep in step with the Dockerfile.
    Unchanged files keep their mtimes (copy2), so podman's layer cache still hits.
    """
    if dest.exists():
        shutil.rmtree(dest)
    for relative in paths:
        source = root / relative
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target)
    return dest


@dataclass(frozen=True)
class Container:
    """A running container we started (removed by `remove`)."""

    name: str

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return (result.stdout or "") + (result.stderr or "")

    def inspect(self) -> dict[str, object]:
        data = json.loads(podman("inspect", self.name).stdout)
        first: dict[str, object] = data[0]
        return first

    def health(self) -> str:
        """Podman's verdict from the image's HEALTHCHECK: healthy, unhealthy or starting."""
        result = podman("healthcheck", "run", self.name, check=False)
        return "healthy" if result.returncode == 0 else "unhealthy"

    def stop(self, timeout_s: int = 10) -> None:
        podman("stop", "-t", str(timeout_s), self.name, check=False)

    def remove(self) -> None:
        podman("rm", "-f", "-t", "5", self.name, check=False)


def run_container(image: str, name: str, env: dict[str, str] | None = None,
                  args: Sequence[str] = ()) -> Container:
    """Start `image` detached, locked down as a pod would be (read-only root, no capabilities).

    Host networking, because the project's services listen on 127.0.0.1 only. The image's
    HEALTHCHECK is not scheduled (podman schedules it with systemd timers, and there is no systemd
    here); `Container.health()` runs it on demand instead.
    """
    podman("rm", "-f", "-t", "0", name, check=False)
    argv = ["run", "-d", "--name", name, "--network=host", "--read-only",
            "--tmpfs", "/tmp",  # noqa: S108  # a fresh tmpfs inside the container, not the host's /tmp
            "--cap-drop=ALL", "--security-opt", "no-new-privileges", "--health-interval=disable"]
    for key, value in (env or {}).items():
        argv += ["-e", f"{key}={value}"]
    podman(*argv, image, *args)
    return Container(name)


@contextlib.contextmanager
def running(image: str, name: str, env: dict[str, str] | None = None) -> Iterator[Container]:
    container = run_container(image, name, env)
    try:
        yield container
    finally:
        container.remove()


def wait_until(predicate: object, timeout_s: float = 30.0, interval_s: float = 0.2) -> bool:
    """Poll a zero-argument callable until it returns truthy or time runs out."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return True
        time.sleep(interval_s)
    return False
