"""`python -m bootcamp.parts install [NAME...]`: what `scripts/setup.sh` calls to bring the parts in."""

from __future__ import annotations

import sys
import time

from bootcamp.errors import BootcampError
from bootcamp.parts import all_parts, get_part


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "install":
        print("usage: python -m bootcamp.parts install [NAME...]", file=sys.stderr)
        return 2
    names = argv[1:] or list(all_parts())
    try:
        for name in names:
            part = get_part(name)
            began = time.monotonic()
            if not part.installed():
                print(f"[setup] resolving {name}: {part.what} (first time: a minute or two)", flush=True)
            if part.install():
                print(f"[setup] {name} ready in {time.monotonic() - began:.0f}s", flush=True)
    except BootcampError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
