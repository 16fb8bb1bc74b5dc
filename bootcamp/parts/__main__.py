"""`python -m bootcamp.parts install [NAME...]`: what `scripts/setup.sh` calls to bring the parts in."""

from __future__ import annotations

import sys
import time

from bootcamp.errors import BootcampError
from bootcamp.parts import MavenPart, PartUnavailable, all_parts, get_part


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "install":
        print("usage: python -m bootcamp.parts install [NAME...]", file=sys.stderr)
        return 2
    names = argv[1:] or list(all_parts())
    retry = bool(argv[1:])  # parts named on the command line are asked for again, even if refused before
    try:
        for name in names:
            part = get_part(name)
            began = time.monotonic()
            if not part.installed() and (retry or not (isinstance(part, MavenPart) and part.refusal())):
                print(f"[setup] resolving {name}: {part.what} (first time: a minute or two)", flush=True)
            try:
                if part.install(retry=retry):
                    print(f"[setup] {name} ready in {time.monotonic() - began:.0f}s", flush=True)
            except PartUnavailable as exc:  # optional: one line, and set-up goes on without it
                print(f"[setup] {exc}; left out (optional; `bootcamp doctor` lists it)", flush=True)
    except BootcampError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
