"""Flex Template entry point: the same pipeline module as locally, arguments from the template."""

from __future__ import annotations

from exercises.ex12_side_inputs.run import main

if __name__ == "__main__":
    raise SystemExit(main())
