"""Headless Chromium (Debian's chromium and chromium-driver) driving the real page against
a real server; what a person clicks and reads, by role and visible text."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.api.live_server import LiveServer, live_server

DRIVER = Path("/usr/bin/chromedriver")
# A tiny engine: jobs of a few steps on a few dozen pixels, no warm-up, a preview every step.
TINY_ENGINE = {
    "WARM_UP": "false",
    "MAX_SIZE": "64",
    "MAX_STEPS": "12",
    "PREVIEW_EVERY": "1",
    "MAX_UPLOAD_BYTES": str(1024 * 1024),  # the test photo fits; a 413 is easy to provoke
}


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


def require_browser() -> str:
    """The browser's path. Missing: a failure under CI (`make test` installs it), else a skip."""
    binary = chromium_binary()
    if binary and DRIVER.exists():
        return binary
    reason = "the browser tests need chromium and chromium-driver: make chromium"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def make_driver(downloads: Path, *, language: str = "en-US", width: int = 1280, height: int = 800):
    """A headless Chromium whose driver is Debian's: Selenium Manager never runs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = require_browser()
    for argument in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in CI containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-extensions",
        "--no-first-run",
        f"--window-size={width},{height}",
        f"--lang={language}",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "intl.accept_languages": language,
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
        },
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="package")
def server() -> Iterator[LiveServer]:
    """One real service for the package's open (key-less) pages."""
    require_browser()
    with live_server(**TINY_ENGINE) as live:
        yield live


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator:
    driver = make_driver(downloads)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition: Callable[[], object], timeout: float = 30, what: str = "") -> object:
    """Poll `condition` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - elements come and go while the page works
            last_error = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}: {last_error}")


class Page:
    """The page as a person meets it: buttons and fields by their visible names."""

    def __init__(self, driver, base: str) -> None:
        self.driver = driver
        self.base = base

    def open(self) -> Page:
        """Load the page and wait for its text (the language file arrives after the HTML)."""
        self.driver.get(self.base + "/")
        wait_for(lambda: self.find("//h2").text, what="the page's text")
        return self

    def find(self, xpath: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.XPATH, xpath)

    def finds(self, xpath: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.XPATH, xpath)

    def button(self, name: str):
        """A visible button (or a link styled as one) whose text contains `name`."""
        return wait_for(
            lambda: next(
                (
                    b
                    for b in self.finds(
                        f"//button[contains(., {_quote(name)})] | //a[.={_quote(name)}]"
                    )
                    if b.is_displayed()
                ),
                None,
            ),
            what=f"button {name!r}",
        )

    def field(self, label: str):
        """The input or select that the label with this text is for."""
        target = self.find(f"//label[normalize-space()={_quote(label)}]").get_attribute("for")
        return self.find(f"//*[@id={_quote(target)}]")

    def upload(self, label: str, path: Path) -> None:
        self.field(label).send_keys(str(path))

    def choose(self, label: str, option_text: str) -> None:
        from selenium.webdriver.support.select import Select

        select = Select(self.field(label))
        match = next(o for o in select.options if option_text in o.text)
        select.select_by_visible_text(match.text)

    def text(self) -> str:
        return self.find("//body").text

    def status(self) -> str:
        return self.find("//*[@role='status']").text

    def alert(self) -> str:
        """The visible error text ('' when none)."""
        alerts = [a for a in self.finds("//*[@role='alert']") if a.is_displayed()]
        return " ".join(a.text for a in alerts)

    def progress(self) -> float:
        return float(self.find("//progress").get_attribute("value"))

    def wait_text(self, text: str, timeout: float = 30) -> None:
        wait_for(lambda: text in self.text(), timeout, what=repr(text))

    def natural_width(self, alt: str) -> int:
        image = wait_for(
            lambda: next(
                (i for i in self.finds(f"//img[@alt={_quote(alt)}]") if i.is_displayed()), None
            ),
            what=f"image {alt!r}",
        )
        return wait_for(
            lambda: self.driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", image
            ),
            what=f"{alt!r} decoded",
        )

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]


def _quote(text: str) -> str:
    """An XPath string literal for `text`."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in parts) + ")"


@pytest.fixture
def page(browser, server: LiveServer) -> Page:
    return Page(browser, server.base).open()


@pytest.fixture(scope="session")
def photo_file(tmp_path_factory) -> Path:
    from tests.conftest import EXAMPLES

    return EXAMPLES / "content" / "tubingen.jpg"


@pytest.fixture(scope="session")
def painting_file(tmp_path_factory) -> Path:
    from tests.conftest import make_photo

    path = tmp_path_factory.mktemp("paintings") / "my painting.png"
    make_photo(80, 80, seed=3).save(path)
    return path
