"""The Flex Template's file tree, staged from the Dockerfile's COPY lines (the one list of what ships).

`python -m exercises.ex02_pubsub_beam_wordcount.template DIR` lays out in DIR what the image holds at
/template: the launcher `main.py`, `setup.py`, `requirements.txt` and the `exercises/` package tree.
The deploy test stages it and builds the graph from it alone; launching by flags from DIR
(`python main.py --runner DataflowRunner --setup_file ./setup.py ...`) submits the same package.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DOCKERFILE = HERE / "deploy/flex-template/Dockerfile"
IMAGE_ROOT = "/template"


def copies(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(source relative to the repository, destination relative to /template) of every COPY line."""
    found = re.findall(r"^COPY\s+(\S+)\s+(\S+)$", dockerfile.read_text(), flags=re.MULTILINE)
    pairs = []
    for source, destination in found:
        if not destination.startswith(IMAGE_ROOT + "/"):
            raise ValueError(f"{dockerfile}: COPY destination {destination} is outside {IMAGE_ROOT}")
        pairs.append((source, destination.removeprefix(IMAGE_ROOT + "/")))
    return pairs


def stage(target: Path) -> Path:
    """Copy every COPY source into `target` at its image path; a missing source is an error."""
    for source, destination in copies():
        path = REPO_ROOT / source
        if not path.is_file():
            raise FileNotFoundError(f"the Dockerfile copies {source}, which does not exist")
        (target / destination).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / destination)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m exercises.ex02_pubsub_beam_wordcount.template DIR")
    print(f"staged the Flex Template tree in {stage(Path(sys.argv[1]))}")
