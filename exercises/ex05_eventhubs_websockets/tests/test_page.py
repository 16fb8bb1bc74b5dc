"""The page in a real browser (Debian's Chromium, driven by Playwright): the chart draws the windows
the test published, read back from the chart's own data; the page reconnects after a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ..generator import readings, send
from ..harness import Server, offline_windows, start_server, stop_server

T0 = 1_764_633_600_000

pytestmark = pytest.mark.slow


def chart_data(page: Page) -> dict[str, list[list[float]]]:
    """Each source's chart data as uPlot holds it: [x (window start, s), mean, min, max]."""
    data: dict[str, list[list[float]]] = page.evaluate(
        "() => Object.fromEntries([...window.ex05.charts].map(([s, c]) => [s, c.plot.data]))")
    return data


def drawn(page: Page, want: dict[tuple[str, int], Any]) -> bool:
    charts = chart_data(page)
    for (source, start), agg in want.items():
        series = charts.get(source)
        if not series or start / 1000 not in series[0]:
            return False
        i = series[0].index(start / 1000)
        if abs(series[1][i] - agg.mean) > 1e-9 or series[2][i] != agg.min or series[3][i] != agg.max:
            return False
    return True


def wait_drawn(page: Page, want: dict[tuple[str, int], Any], timeout_s: float = 30) -> None:
    for _ in range(int(timeout_s * 10)):
        if drawn(page, want):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the chart did not draw the published windows; it holds {chart_data(page)}")


def test_the_chart_draws_the_published_windows(browser: Browser, servers: Callable[..., Server],
                                               hub_kafka: dict[str, Any], artifacts: Path) -> None:
    server = servers()
    page = browser.new_context(viewport={"width": 1000, "height": 1100}).new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "live")
    events = readings(1600, rate=400, start_ms=T0, disorder_ms=300)
    send(hub_kafka, server.env["EX05_TOPIC"], events)
    want = offline_windows(events)
    wait_drawn(page, want)
    expect(page.locator("#events-in")).to_have_text(str(len(events)))
    assert page.locator("section.chart canvas").count() == 4, "one chart per source"
    page.screenshot(path=str(artifacts / "chart.png"), full_page=True)
    print(f"screenshot: {artifacts / 'chart.png'}")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.context.close()


def test_the_page_reconnects_and_catches_up_after_the_server_restarts(
        browser: Browser, servers: Callable[..., Server], hub_kafka: dict[str, Any], impl_name: str,
        tmp_path: Path) -> None:
    server = servers()
    page = browser.new_context().new_page()
    page.goto(server.url + "/")
    status = page.locator("#status")
    expect(status).to_have_attribute("data-state", "live")
    first = readings(800, rate=400, start_ms=T0, disorder_ms=200, seed=21)
    send(hub_kafka, server.env["EX05_TOPIC"], first)
    wait_drawn(page, offline_windows(first))

    stop_server(server)
    expect(status).to_have_attribute("data-state", "reconnecting")
    again = start_server(impl_name, tmp_path, server.env, port=server.port)  # same group: resumes
    try:
        expect(status).to_have_attribute("data-state", "live", timeout=20_000)
        # At least one reconnect, and no page reload (that would start from 0); a loaded machine may
        # add one more, when the server drops the slow page by its policy (code 1013) and it comes back.
        assert page.evaluate("window.ex05.connects") >= 2
        later = readings(800, rate=400, start_ms=T0 + 2000, disorder_ms=200, seed=22)
        send(hub_kafka, server.env["EX05_TOPIC"], later)
        wait_drawn(page, offline_windows(first + later))
    finally:
        stop_server(again)
        page.context.close()
