"""Debian's headless chromium shows new messages live and renders hostile values as text."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.apps.support import wait_for
from tests.support import browser as support_browser

pytestmark = [pytest.mark.integration, pytest.mark.browser]

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
PAYLOADS = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>"]


@pytest.fixture
def browser():
    if not support_browser.available():
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    with support_browser.chromium() as driver:
        yield driver


def no_alert(driver) -> bool:
    try:
        _alert = driver.switch_to.alert  # raises unless a dialog is open
    except NoAlertPresentException:
        return True
    return False


def row_with(driver, text: str):
    """The row showing text, or None; a row the page drops while it is read counts as not found yet."""
    try:
        for row in driver.find_elements(By.CSS_SELECTOR, "#rows tr"):
            if text in row.text:
                return row
    except StaleElementReferenceException:
        return None
    return None


def test_live_rows_and_hostile_values_render_as_text(browser, producer, consumer):
    httpx.post(producer.url + "/send", json={"key": "Hello Kafka!"}).raise_for_status()
    wait_for(lambda: httpx.get(consumer.url + "/messages").json()["messages"], timeout=10)
    browser.get(consumer.url + "/")
    assert "Hello Kafka!" in browser.find_element(By.ID, "rows").text  # rendered by the server
    wait_for(lambda: "Live:" in browser.find_element(By.ID, "live").text, timeout=10)
    browser.execute_script("window.__notReloaded = true;")

    httpx.post(producer.url + "/send", json={"live": "arrives without reload"}).raise_for_status()
    row = wait_for(lambda: row_with(browser, "arrives without reload"), timeout=10)
    assert "new" in row.get_attribute("class")
    assert browser.execute_script("return window.__notReloaded === true;")

    for payload in PAYLOADS:
        httpx.post(producer.url + "/send", json={"payload": payload}).raise_for_status()
    for payload in PAYLOADS:
        row = wait_for(lambda p=payload: row_with(browser, p), timeout=10)
        assert payload in row.find_element(By.CSS_SELECTOR, "td code").text
    assert browser.find_elements(By.CSS_SELECTOR, "#rows img, #rows script") == []
    assert no_alert(browser)
    assert browser.execute_script("return window.__notReloaded === true;")

    # A server render of the same rows is escaped too (the page as seen without JavaScript).
    browser.refresh()
    assert all(row_with(browser, p) for p in PAYLOADS)
    assert browser.find_elements(By.CSS_SELECTOR, "#rows img, #rows script") == [] and no_alert(browser)
    httpx.post(producer.url + "/send", json={"after": "reload", "note": "highlighted as new"}).raise_for_status()
    wait_for(lambda: row_with(browser, "highlighted as new"), timeout=10)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "consumer-page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
