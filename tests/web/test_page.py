"""The page in a real browser against a real server: photo, painting, run, result, errors."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.keys import Keys

from tests.web.conftest import Page, make_driver, wait_for


def paint_and_wait(page: Page) -> None:
    page.button("Paint").click()
    page.wait_text("Done: 100 %", timeout=60)
    assert page.progress() == 100


def downloaded(folder: Path, suffix: str) -> bytes:
    path = wait_for(
        lambda: next((p for p in folder.glob(f"*{suffix}") if p.stat().st_size), None),
        what=f"a downloaded {suffix}",
    )
    return path.read_bytes()


def test_a_preset_painted_with_progress_then_downloaded(page, photo_file, downloads):
    page.upload("Choose a photo or clip", photo_file)
    assert page.natural_width("Your photo") > 0  # shown at once
    preset = page.button("The Starry Night")
    preset.click()
    assert preset.get_attribute("aria-pressed") == "true"
    page.choose("Quality", "Fast")
    paint_and_wait(page)
    assert page.natural_width("The painted photo") > 0
    assert not page.alert()
    page.button("Download PNG").click()
    assert downloaded(downloads, ".png").startswith(b"\x89PNG\r\n\x1a\n")
    page.button("Download JPEG").click()
    assert downloaded(downloads, ".jpg").startswith(b"\xff\xd8\xff")
    page.button("Side by side").click()
    assert page.natural_width("The painted photo") > 0
    assert not page.console_errors()


def test_an_own_painting(page, photo_file, painting_file):
    page.upload("Choose a photo or clip", photo_file)
    page.upload("Your own painting", painting_file)
    page.wait_text("my painting.png")
    page.choose("Quality", "Fast")
    paint_and_wait(page)
    assert page.natural_width("The painted photo") > 0


def test_several_paintings_blended_by_weight(page, photo_file, painting_file):
    page.upload("Choose a photo or clip", photo_file)
    page.upload("Your own painting", painting_file)
    page.button("The Scream").click()
    weight = page.find("//input[@aria-label='Weight of The Scream']")
    weight.send_keys(Keys.END)  # the slider's largest weight
    assert weight.get_attribute("value") == "2"
    assert page.find("//input[@aria-label='Weight of my painting.png']").is_displayed()
    assert "presets only" in page.find("//option[contains(., 'Feed-forward')]").text
    assert not page.find("//option[contains(., 'Feed-forward')]").is_enabled()
    paint_and_wait(page)
    assert page.natural_width("The painted photo") > 0


def test_an_instant_method_then_full_quality(page, photo_file):
    page.upload("Choose a photo or clip", photo_file)
    page.button("The Scream").click()
    page.choose("Method", "instant")
    paint_and_wait(page)
    assert page.natural_width("The painted photo") > 0
    page.button("Full quality").click()
    paint_and_wait(page)
    assert page.natural_width("The painted photo") > 0
    assert not page.alert()


def test_a_file_that_is_not_an_image_is_refused_in_words(page, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo at all\n" * 20)
    page.upload("Choose a photo or clip", notes)
    page.button("The Starry Night").click()
    page.button("Paint").click()
    message = wait_for(page.alert, what="an error on the page")
    assert "not an image or clip the service can read" in message
    assert page.button("Paint").is_enabled()


def test_asks_for_a_photo_and_a_painting_before_sending(page, photo_file):
    page.button("Paint").click()
    assert "Choose a photo first" in wait_for(page.alert)
    page.upload("Choose a photo or clip", photo_file)
    page.button("Paint").click()
    assert "Pick a painting first" in wait_for(page.alert)


def test_russian_from_the_browser_language_and_switchable(server, downloads):
    driver = make_driver(downloads, language="ru-RU")
    try:
        page = Page(driver, server.base).open()
        page.wait_text("1. Фотография")
        assert page.button("Нарисовать").is_displayed()
        assert "Готовые картины" in page.text()
        assert "мгновенно" in page.text()
        page.button("Нарисовать").click()
        assert "Сначала выберите фото." in wait_for(page.alert)
        page.button("English").click()
        page.wait_text("1. Your photo")
        assert "Choose a photo first." in page.alert()  # said again in the new language
        assert page.button("Paint").is_displayed()
    finally:
        driver.quit()


def test_a_refused_setting_and_a_large_file_are_said_in_words(page, photo_file, tmp_path):
    page.upload("Choose a photo or clip", photo_file)
    page.button("The Starry Night").click()
    page.choose("Size (long side)", "256 px")  # above this server's MAX_SIZE
    page.button("Paint").click()
    message = wait_for(page.alert, what="the 422")
    assert "refused the setting “size”" in message and "64" in message
    large = tmp_path / "large.bmp"
    large.write_bytes(b"BM" + bytes(2 * 1024 * 1024))
    page.upload("Choose a photo or clip", large)
    page.choose("Size (long side)", "As the quality sets it")
    page.button("Paint").click()
    assert "too large" in wait_for(lambda: "too large" in page.alert() and page.alert())


def test_a_heic_photo_is_named_then_painted_by_the_service(page, tmp_path):
    from tests.conftest import heic, make_photo

    photo = tmp_path / "IMG_0001.HEIC"
    photo.write_bytes(heic(make_photo(96, 64)))
    page.upload("Choose a photo or clip", photo)
    page.wait_text("IMG_0001.HEIC: HEIC photos are read by the service")
    page.button("The Starry Night").click()
    paint_and_wait(page)
    assert page.natural_width("The painted photo") > 0


def test_usable_by_keyboard_alone(page, photo_file):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    page.upload("Choose a photo or clip", photo_file)  # the file chooser itself is the system's

    def tab_to(name: str) -> None:
        for _ in range(40):
            ActionChains(page.driver).send_keys(Keys.TAB).perform()
            if name in page.driver.switch_to.active_element.text:
                return
        raise AssertionError(f"{name!r} is not reachable by Tab")

    tab_to("The Starry Night")
    ActionChains(page.driver).send_keys(Keys.SPACE).perform()
    assert page.button("The Starry Night").get_attribute("aria-pressed") == "true"
    tab_to("Paint")
    ActionChains(page.driver).send_keys(Keys.ENTER).perform()
    page.wait_text("Done: 100 %", timeout=60)
    slider = page.find("//input[@aria-label='Before / after']")
    slider.send_keys(Keys.HOME)
    assert slider.get_attribute("value") == "0"
