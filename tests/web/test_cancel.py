"""Cancel stops a running job: a server whose jobs last long enough to be cancelled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.live_server import LiveServer, live_server
from tests.web.conftest import TINY_ENGINE, Page, require_browser, wait_for


@pytest.fixture(scope="module")
def slow_server() -> Iterator[LiveServer]:
    require_browser()
    with live_server(**{**TINY_ENGINE, "MAX_SIZE": "128", "MAX_STEPS": "1000"}) as live:
        yield live


def test_cancel_stops_the_job(browser, slow_server, photo_file):
    page = Page(browser, slow_server.base).open()
    page.upload("Choose a photo or clip", photo_file)
    page.button("The Starry Night").click()
    page.choose("Quality", "Best")
    page.button("Paint").click()
    wait_for(lambda: "Painting:" in page.status(), what="the job running")
    page.button("Cancel").click()
    wait_for(lambda: page.status() == "Cancelled.", what="the job cancelled")
    assert page.progress() < 100
    assert not page.finds("//h2[.='The result']")[0].is_displayed()
    assert page.button("Paint").is_enabled()
    assert not page.alert()
