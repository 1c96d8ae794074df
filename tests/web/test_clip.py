"""A clip on the page: chosen like a photo, painted frame by frame by a one-pass model,
played beside its original and downloaded as the video the service made."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest

from tests.clips import FRAMES, write_clip
from tests.web.conftest import Page, wait_for
from tests.web.test_page import downloaded


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clips") / "walk.mp4", audio="aac")


def test_a_clip_is_painted_and_downloaded_as_a_clip(page: Page, clip_file, downloads):
    page.upload("Choose a photo or clip", clip_file)
    page.wait_text("walk.mp4: a clip, painted frame by frame")
    assert page.find("//video[@id='photo-video']").is_displayed()
    assert page.field("Steadiness").is_displayed()  # the clip-only setting
    gatys = page.find("//select[@id='method']/option[@value='gatys']")
    assert gatys.get_attribute("disabled")  # minutes a frame: not offered for clips
    page.button("The Starry Night").click()
    page.button("Paint").click()
    page.wait_text("Done: 100 %", timeout=90)
    assert not page.alert()
    painted = page.find("//video[@id='side-after-video']")
    assert painted.is_displayed()
    assert not page.finds("//*[@id='view-compare'][not(@hidden)]")  # no slider for clips
    page.button("Download MP4").click()
    data = downloaded(downloads, ".mp4")
    with av.open(io.BytesIO(data)) as clip:
        assert clip.streams.audio  # the sound came through
        frames = list(clip.decode(video=0))
    assert len(frames) == FRAMES and max(frames[0].width, frames[0].height) == 64
    # The browser can play what it got, where it plays H.264 at all.
    playable = page.driver.execute_script(
        "return arguments[0].canPlayType('video/mp4; codecs=\"avc1.42E01E\"')", painted
    )
    if playable:
        wait_for(lambda: page.driver.execute_script("return arguments[0].readyState", painted))
    assert not page.console_errors()


def test_a_photo_after_a_clip_gets_the_picture_settings_back(page: Page, clip_file, photo_file):
    page.upload("Choose a photo or clip", clip_file)
    assert page.field("Steadiness").is_displayed()
    page.upload("Choose a photo or clip", photo_file)
    wait_for(lambda: not page.field("Steadiness").is_displayed(), what="the clip setting gone")
    gatys = page.find("//select[@id='method']/option[@value='gatys']")
    assert not gatys.get_attribute("disabled")
