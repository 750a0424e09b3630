"""Debian's headless chromium signs in to a token-protected consumer page and gets live rows."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.apps.support import wait_for
from tests.integration.apps.test_apps_auth import (  # noqa: F401  # pylint: disable=unused-import
    BEARER,
    TOKEN,
    auth_env,
    secured_consumer,
    secured_producer,
)
from tests.integration.apps.test_apps_browser import browser, row_with  # noqa: F401  # pylint: disable=unused-import

# The fixtures above are imported for pytest, which finds them by name.
pytestmark = [pytest.mark.integration, pytest.mark.browser]

from selenium.webdriver.common.by import By  # noqa: E402 - after test_apps_browser's importorskip


def test_sign_in_then_live_rows_over_the_session_cookie(browser, secured_producer, secured_consumer):  # noqa: F811
    browser.get(secured_consumer.url + "/")
    field = browser.find_element(By.ID, "token")  # the 401 answer is the sign-in form
    field.send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(lambda: browser.find_elements(By.ID, "rows"), timeout=10)
    wait_for(lambda: "Live:" in browser.find_element(By.ID, "live").text, timeout=10)  # EventSource got 200
    httpx.post(secured_producer.url + "/send", json={"signed": "in and live"}, headers=BEARER).raise_for_status()
    row = wait_for(lambda: row_with(browser, "in and live"), timeout=15)
    assert "new" in row.get_attribute("class")
