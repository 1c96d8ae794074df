"""With API_KEY set the page asks for the key once, refuses a wrong one, keeps it per tab."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.live_server import LiveServer, live_server
from tests.web.conftest import TINY_ENGINE, Page, require_browser, wait_for


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[LiveServer]:
    require_browser()
    env = {**TINY_ENGINE, "API_KEY": "right-key", "RATE_LIMIT_PER_MINUTE": "1"}
    with live_server(**env) as live:
        yield live


def test_asks_for_the_key_refuses_a_wrong_one_and_keeps_the_right_one(browser, keyed_server):
    page = Page(browser, keyed_server.base).open()
    dialog = wait_for(
        lambda: next((d for d in page.finds("//dialog") if d.is_displayed()), None),
        what="the key prompt",
    )
    assert "Access key" in dialog.text
    key = page.field("Key")
    key.send_keys("wrong-key")
    page.button("Use this key").click()
    assert "That key was refused" in wait_for(page.alert, what="the refusal")
    assert dialog.is_displayed()
    key.clear()
    key.send_keys("right-key")
    page.button("Use this key").click()
    wait_for(lambda: not dialog.is_displayed(), what="the prompt closed")
    assert page.button("The Starry Night").is_displayed()  # the gallery loaded with the key
    thumbnails = page.finds("//button[@aria-pressed]/img")
    wait_for(  # fetched with the key, they decode
        lambda: all(
            browser.execute_script("return arguments[0].naturalWidth", i) for i in thumbnails
        ),
        what="the thumbnails",
    )
    page.open()  # the same tab: the key is kept, nothing is asked again
    assert page.button("The Starry Night").is_displayed()
    assert not any(d.is_displayed() for d in page.finds("//dialog"))


def test_too_many_jobs_counts_the_wait_down(browser, keyed_server, photo_file):
    page = Page(browser, keyed_server.base).open()
    wait_for(lambda: page.field("Key").is_displayed(), what="the key prompt")
    page.field("Key").send_keys("right-key")
    page.button("Use this key").click()
    page.upload("Choose a photo or clip", photo_file)
    page.button("The Starry Night").click()
    page.choose("Quality", "Fast")
    page.button("Paint").click()  # the minute's one job
    page.wait_text("Done: 100 %", timeout=60)
    page.button("Again").click()
    message = wait_for(page.alert, what="the 429")
    assert "Too many jobs" in message
    assert "try again in" in message
    first = int(message.split("try again in ")[1].split()[0])
    wait_for(lambda: f"try again in {first - 1} s" in page.alert(), timeout=5, what="a countdown")
