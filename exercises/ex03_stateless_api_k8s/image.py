"""Build the API's container image here, with podman on the locally made Debian base image.

The build context holds only what the Dockerfile copies, so a change to an unrelated file never
invalidates podman's layer cache; the first build takes about a minute (pip downloads wheels from
PyPI), later ones seconds.
"""

from __future__ import annotations

from pathlib import Path

from bootcamp.containers import build_image, cache_dir, stage_context
from bootcamp.paths import REPO_ROOT

IMAGE = "localhost/bootcamp/ex03-books-api:dev"
FOLDER = "exercises/ex03_stateless_api_k8s"
DOCKERFILE = f"{FOLDER}/deploy/Dockerfile"
CONTEXT_PATHS = ("exercises/__init__.py", f"{FOLDER}/__init__.py", f"{FOLDER}/config.py",
                 f"{FOLDER}/server.py", f"{FOLDER}/bare.py", f"{FOLDER}/models.py",
                 f"{FOLDER}/api.py", f"{FOLDER}/storage.py",
                 f"{FOLDER}/solution", f"{FOLDER}/starter",
                 f"{FOLDER}/deploy/requirements.txt", DOCKERFILE)


def build_api_image(tag: str = IMAGE) -> str:
    """Stage the context under .bootcamp/containers and `podman build` it; returns the tag."""
    context: Path = stage_context(REPO_ROOT, CONTEXT_PATHS, cache_dir() / "ex03-context")
    return build_image(context, tag, dockerfile=context / DOCKERFILE)
