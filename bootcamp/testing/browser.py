"""Headless Chromium (Debian's package) driven by Playwright, one per test module.

Playwright's own browser download is not used: nothing may download at run time, and Debian's
`chromium` is installed by `scripts/setup.sh` for the exercises that list it in `apt-packages.txt`.
A test asks for the `browser` fixture and opens its own context (cookie jar) and pages; the browser
is shared by the module's tests, because launching one costs a second or two of a 2-core machine.
Not by the whole session: while Playwright's sync API is open, its event loop counts as running in
the main thread, so `asyncio.run()` in any later test would fail ("cannot be called from a running
event loop"). Keep an exercise's browser tests in one module and it launches once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# --no-sandbox: Chromium's sandbox cannot run as root. The rest keep a closed network quiet.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The module's headless Chromium."""
    if not shutil.which("chromium"):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()
