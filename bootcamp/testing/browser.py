"""Headless Chromium (Debian's package) driven by Playwright, one per test session.

Playwright's own browser download is not used: nothing may download at run time, and Debian's
`chromium` is installed by `scripts/setup.sh` for the exercises that list it in `apt-packages.txt`.
A test asks for the `browser` fixture and opens its own context (cookie jar) and pages; the browser
is shared, because launching one costs a second or two of a 2-core machine.
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


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The session's headless Chromium."""
    if not shutil.which("chromium"):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()
