"""Screenshots of the web page for docs/images/web/, taken by headless Chromium.

Starts the service on a free loopback port, paints examples/content/tubingen.jpg in the
style of The Starry Night at desktop (1280x800) and phone (390x844) size, and saves the page
during the run and with the result; then paints examples/clips/canyon_pan.mp4 at desktop
size (clip-run, clip-result). Needs Debian's chromium and chromium-driver (`make chromium`)
and the dev extra (selenium).

    python scripts/web_screenshots.py [--out docs/images/web] [--base http://127.0.0.1:8000]
    python scripts/web_screenshots.py --only clip
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "examples" / "content" / "tubingen.jpg"
CLIP = ROOT / "examples" / "clips" / "canyon_pan.mp4"
SIZES = {"desktop": (1280, 800, False), "phone": (390, 844, True)}


@contextlib.contextmanager
def service() -> Iterator[str]:
    """The API from this checkout, previews every few steps, until the block ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING"}
    env |= {"WARM_UP": "false", "PREVIEW_EVERY": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: _ready(base), 180, "the service to be ready")
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def _ready(base: str) -> bool:
    with contextlib.suppress(OSError):
        with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
            return answer.status == 200
    return False


def wait(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if value := condition():
                return value
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


def browser(width: int, height: int, mobile: bool) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en-US"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    return driver


def save(driver: webdriver.Chrome, path: Path) -> None:
    """The viewport as a palette PNG (small enough for the docs), then its size."""
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    print(f"{path}: {image.width}x{image.height}, {path.stat().st_size // 1024} KB")


def shoot(base: str, name: str, out: Path, quality: str, size: str) -> None:
    width, height, mobile = SIZES[name]
    driver = browser(width, height, mobile)
    try:
        driver.get(base + "/")
        wait(
            lambda: driver.find_element(By.CSS_SELECTOR, ".preset img").get_attribute("src"),
            30,
            "the gallery",
        )
        time.sleep(1)  # every thumbnail decoded
        save(driver, out / f"{name}-start.png")
        driver.find_element(By.ID, "photo-file").send_keys(str(PHOTO))
        driver.find_element(By.CSS_SELECTOR, "[data-preset='starry_night']").click()
        Select(driver.find_element(By.ID, "quality")).select_by_value(quality)
        Select(driver.find_element(By.ID, "size")).select_by_value(size)
        driver.find_element(By.ID, "start").click()
        progress = driver.find_element(By.TAG_NAME, "progress")
        preview = driver.find_element(By.ID, "preview")
        wait(
            lambda: float(progress.get_attribute("value")) >= 40 and preview.is_displayed(),
            600,
            "40 %",
        )
        time.sleep(0.5)
        driver.execute_script("document.getElementById('run').scrollIntoView({block: 'start'})")
        save(driver, out / f"{name}-run.png")
        wait(lambda: driver.find_element(By.ID, "result").is_displayed(), 600, "the result")
        time.sleep(1)
        driver.execute_script("document.getElementById('result').scrollIntoView({block: 'start'})")
        save(driver, out / f"{name}-result.png")
    finally:
        driver.quit()


def shoot_clip(base: str, out: Path, size: str) -> None:
    """The desktop page painting a clip: during the run, then both clips side by side."""
    width, height, mobile = SIZES["desktop"]
    driver = browser(width, height, mobile)
    try:
        driver.get(base + "/")
        wait(lambda: driver.find_element(By.CSS_SELECTOR, ".preset img"), 30, "the gallery")
        driver.find_element(By.ID, "photo-file").send_keys(str(CLIP))
        driver.find_element(By.CSS_SELECTOR, "[data-preset='starry_night']").click()
        Select(driver.find_element(By.ID, "size")).select_by_value(size)
        driver.find_element(By.ID, "start").click()
        progress = driver.find_element(By.TAG_NAME, "progress")
        preview = driver.find_element(By.ID, "preview")
        wait(
            lambda: float(progress.get_attribute("value")) >= 30 and preview.is_displayed(),
            600,
            "30 % of the frames",
        )
        driver.execute_script("document.getElementById('run').scrollIntoView({block: 'start'})")
        save(driver, out / "desktop-clip-run.png")
        wait(lambda: driver.find_element(By.ID, "result").is_displayed(), 600, "the result")
        # Both clips paused on the same moment, so that the picture shows a frame of each.
        for video_id in ("side-before-video", "side-after-video"):
            driver.execute_script(
                "const v = document.getElementById(arguments[0]); v.pause(); v.currentTime = 1.2;",
                video_id,
            )
            wait(
                lambda v=video_id: driver.execute_script(
                    "const v = document.getElementById(arguments[0]);"
                    "return v.readyState >= 2 && !v.seeking",
                    v,
                ),
                30,
                f"{video_id} on a frame",
            )
        driver.execute_script("document.getElementById('result').scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        save(driver, out / "desktop-clip-result.png")
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "web")
    parser.add_argument("--base", help="a running service instead of starting one")
    parser.add_argument("--quality", default="fast", choices=("fast", "balanced", "best"))
    parser.add_argument("--size", default="384", help="the page's Size choice, in px")
    parser.add_argument("--only", choices=("photo", "clip"), help="one set of screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        base = args.base or stack.enter_context(service())
        if args.only != "clip":
            for name in SIZES:
                shoot(base, name, args.out.resolve(), args.quality, args.size)
        if args.only != "photo":
            shoot_clip(base, args.out.resolve(), "256")


if __name__ == "__main__":
    main()
