"""Files the bot cannot use get a clear answer; both languages; the locale files agree."""

from __future__ import annotations

import re

import pytest

from bot.i18n import LANGUAGES, LOCALES_DIR, Translator
from tests.bot.conftest import finished, jpeg, photo_and_preset

MB = 1024 * 1024


async def test_non_images_and_unsupported_formats(bot, telegram):
    telegram.document(b"hello", "notes.txt", "text/plain")
    await telegram.wait_text("does not look like an image")
    telegram.document(b"<svg/>", "cat.svg", "image/svg+xml")
    await telegram.wait_text("cannot read that image format")
    mark = telegram.mark()
    telegram.send(sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                           "width": 512, "height": 512, "is_animated": False,
                           "is_video": False})  # fmt: skip
    await telegram.wait_text("does not look like an image", after=mark)
    telegram.text("/nonsense")
    await telegram.wait_text("do not know that command")


async def test_oversized_files(bot, telegram, service):
    telegram.document(jpeg(), "huge.jpg", "image/jpeg", size=50 * MB)
    refusal = await telegram.wait_text("too large")
    assert "over 20 MB" in refusal.text
    mark = telegram.mark()
    telegram.photo(jpeg(), size=21 * MB)
    await telegram.wait_text("too large", after=mark)
    # A file whose size only getFile tells: the Bot API refuses it, the user hears why.
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    mark = telegram.mark()
    telegram.document(jpeg(), "big.png", "image/png", size=25 * MB, declared=False)
    await telegram.wait_text("too large", after=mark)
    assert not service.jobs


async def test_the_service_refusing_a_picture(bot, telegram):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.document(b"\xff\xd8 not really a jpeg", "fake.jpg", "image/jpeg")
    await telegram.wait_text("could not take this picture: not an image we can read")


async def test_a_picture_gone_from_telegram(bot, telegram):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    mark = telegram.mark()
    file_id = telegram.add_file(jpeg())
    del telegram.files[file_id]  # getFile answers, the download gets 404
    telegram.send(document={"file_id": file_id, "file_unique_id": file_id,
                            "file_name": "s.jpg", "mime_type": "image/jpeg"})  # fmt: skip
    await telegram.wait_text("could not fetch your picture", after=mark)


async def test_russian_all_the_way(bot, telegram, service):
    ru = {"lang": "ru-RU"}
    telegram.text("/help", **ru)
    await telegram.wait_text("Как это работает")
    service.gate.clear()
    await photo_and_preset(telegram, **ru)
    await telegram.wait_text("Рисую… 50%")
    service.gate.set()
    _, document = await finished(telegram, done="Готово!")
    assert "Полное разрешение" in document.text
    menu = next(c for c in telegram.of("setMyCommands") if c.params.get("language_code") == "ru")
    assert menu.params["commands"][0]["description"] == "Что умеет этот бот"


async def test_an_unknown_language_gets_english(bot, telegram):
    telegram.text("/start", lang="pt-BR")
    await telegram.wait_text("Send me a photo")


def _messages(language: str) -> dict[str, set[str]]:
    """Message id -> the variables it uses, read from the .ftl file."""
    text = (LOCALES_DIR / language / "bot.ftl").read_text("utf-8")
    found: dict[str, set[str]] = {}
    current = ""
    for line in text.splitlines():
        if m := re.match(r"^([a-z][a-z0-9-]*) =", line):
            current = m.group(1)
            found[current] = set()
        if current:
            found[current] |= set(re.findall(r"\{\s*\$([a-z_]+)", line))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_locales_have_the_same_messages_and_all_format(language):
    english, other = _messages("en"), _messages(language)
    assert set(other) == set(english)
    t = Translator(language)
    for key, variables in english.items():
        assert other[key] == variables, key
        text = t(key, **dict.fromkeys(variables, 2))
        assert text and "{" not in text and "&" not in text.replace("&lt;", ""), key
