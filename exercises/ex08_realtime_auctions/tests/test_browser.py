"""The web page in a real browser: headless Chromium (Debian's) driven by Playwright.

Two users in two browser contexts (separate cookie jars), each on a different app instance: a bid
by one appears on the other's screen without a reload, through WebSocket and LISTEN/NOTIFY.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from ..harness import Instance
from .conftest import PASSWORD, new_username

pytestmark = pytest.mark.slow


def open_signed_up(browser: Browser, instance: Instance) -> Page:
    page = browser.new_context().new_page()
    page.goto(instance.url + "/")
    username = new_username()
    page.fill("#signup-username", username)
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-form button")
    expect(page.locator("#whoami")).to_have_text(f"signed in as {username}")
    return page


def add_item(page: Page, title: str, price: str = "10.00", minutes: int = 10) -> str:
    ends = (datetime.now() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#add-title", title)
    page.fill("#add-description", "hand-made, slightly used")
    page.fill("#add-price", price)
    page.fill("#add-ends", ends)
    page.click("#add-form button")
    page.wait_for_url("**/#/items/*")
    return page.url.rsplit("/", 1)[1]


def test_a_bid_by_one_user_appears_live_for_the_other(browser: Browser, instances: list[Instance]) -> None:
    seller = open_signed_up(browser, instances[0])
    item_id = add_item(seller, "Walnut chess set")
    expect(seller.locator("#item-price")).to_have_text("10.00")
    expect(seller.locator("#item-live")).to_have_text("live")

    bidder = open_signed_up(browser, instances[1])
    bidder.goto(f"{instances[1].url}/#/items/{item_id}")
    expect(bidder.locator("#item-title")).to_have_text("Walnut chess set")
    expect(bidder.locator("#item-live")).to_have_text("live")
    bidder.fill("#bid-amount", "12.50")
    bidder.click("#bid-form button")
    expect(bidder.locator("#message")).to_have_text("bid accepted")

    expect(seller.locator("#item-price")).to_have_text("12.50")  # no reload: pushed
    expect(seller.locator("#bid-log li").first).to_contain_text("12.50 by")
    bidder.fill("#bid-amount", "12.60")
    bidder.click("#bid-form button")
    expect(bidder.locator("#message")).to_have_text("bid at least 13.50")
    expect(seller.locator("#item-price")).to_have_text("12.50")
    seller.context.close()
    bidder.context.close()


def test_a_script_in_a_title_renders_as_text(browser: Browser, instances: list[Instance]) -> None:
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    seller = open_signed_up(browser, instances[0])
    item_id = add_item(seller, payload)
    viewer = open_signed_up(browser, instances[1])
    viewer.goto(f"{instances[1].url}/#/")
    link = viewer.locator(f'#items a[href="#/items/{item_id}"]')
    expect(link).to_have_text(payload)
    assert viewer.locator("#items img").count() == 0
    link.click()
    expect(viewer.locator("#item-title")).to_have_text(payload)
    assert viewer.locator("#item-view img, #item-view script").count() == 0
    assert viewer.evaluate("window.__xss") is None
    seller.context.close()
    viewer.context.close()


def test_sign_up_log_out_and_log_in_again(browser: Browser, instances: list[Instance]) -> None:
    page = open_signed_up(browser, instances[0])
    username = page.locator("#whoami").inner_text().removeprefix("signed in as ")
    page.click("#logout")
    expect(page.locator("#whoami")).to_have_text("")
    expect(page.locator("#add-form")).to_be_hidden()
    page.fill("#login-username", username)
    page.fill("#login-password", "wrong password!")
    page.click("#login-form button")
    expect(page.locator("#message")).to_have_text("wrong user name or password")
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button")
    expect(page.locator("#whoami")).to_have_text(f"signed in as {username}")
    page.reload()  # the HttpOnly session cookie survives a reload
    expect(page.locator("#whoami")).to_have_text(f"signed in as {username}")
    page.context.close()
