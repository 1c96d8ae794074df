"""/settings: chosen on one message, used by jobs, remembered (in memory or in Redis)."""

from __future__ import annotations

import fakeredis
import pytest
from pydantic import ValidationError

from bot.app import make_storage
from bot.callbacks import SettingChoice
from tests.bot.conftest import (
    TOKEN,
    bot_settings,
    finished,
    jpeg,
    photo_and_preset,
    running_bot,
)


async def choose(telegram, key: str, value: str, **user) -> None:
    mark = telegram.mark()
    telegram.press(SettingChoice(key=key, value=value).pack(), **user)
    await telegram.wait_for("editMessageText", after=mark)


async def test_settings_are_used_and_remembered(bot, telegram, service):
    telegram.text("/settings")
    menu = await telegram.wait_text("Settings")
    assert SettingChoice(key="quality", value="best").pack() in menu.buttons()
    await choose(telegram, "strength", "strong")
    await choose(telegram, "quality", "best")
    await choose(telegram, "colour", "keep")
    mark = telegram.mark()
    telegram.press(SettingChoice(key="colour", value="keep").pack())  # the same again
    await telegram.wait_for("answerCallbackQuery", after=mark)
    shown = telegram.of("editMessageText")[-1]
    assert "Strength: strong · Quality: best · Colours: keep the photo's" in shown.text
    labels = [b["text"] for row in shown.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "✓ strong" in labels and "✓ best" in labels and "medium" in labels
    telegram.text("/cancel")  # leaving the conversation keeps the settings
    await telegram.wait_text("nothing to cancel")
    assert not any("went wrong" in text for text in telegram.texts())
    for _ in range(2):  # and they hold for every job after
        mark = telegram.mark()
        await photo_and_preset(telegram)
        await finished(telegram, after=mark)
        form = service.last_job().form
        assert (form["strength"], form["quality"], form["preserve_color"]) == (
            "2",
            "best",
            "luminance",
        )
    mark = telegram.mark()
    await photo_and_preset(telegram, user_id=2)  # someone else's defaults are untouched
    await finished(telegram, after=mark)
    form = service.last_job().form
    assert (form["strength"], form["quality"], form["preserve_color"]) == ("1", "balanced", "none")


async def test_settings_survive_a_restart_with_redis(telegram, service):
    server = fakeredis.FakeServer()

    def storage():
        redis_storage = make_storage("redis://redis.invalid:6379/0")
        redis_storage.redis = fakeredis.FakeAsyncRedis(server=server)  # the same data each time
        return redis_storage

    settings = bot_settings(telegram, service.url, redis_url="redis://redis.invalid:6379/0")
    async with running_bot(settings, storage()):
        telegram.text("/settings")
        await telegram.wait_text("Settings")
        await choose(telegram, "strength", "light")
    async with running_bot(settings, storage()):
        mark = telegram.mark()
        telegram.text("/settings")
        shown = await telegram.wait_text("Settings", after=mark)
        assert "Strength: light" in shown.text
        await photo_and_preset(telegram)
        await finished(telegram, after=mark)
        assert service.last_job().form["strength"] == "0.4"
        telegram.photo(jpeg())  # a photo waiting for its style
        await telegram.wait_text("Now pick a painting", after=mark)
    redis = fakeredis.FakeAsyncRedis(server=server)
    keys = [k.decode() for k in await redis.keys("*")]
    assert any(k.endswith(":preferences:data") for k in keys)  # the data went through Redis
    values = [await redis.get(k) for k in keys if not k.endswith(":state")]
    assert all(b"file" not in v for v in values)  # tokens only: images stay in memory


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("API_KEY", "")  # as Compose passes ${API_KEY:-}
    monkeypatch.setenv("TELEGRAM_API_BASE", "")
    monkeypatch.setenv("BOT_JOBS_PER_HOUR", "5")
    monkeypatch.setenv("BOT_WEBHOOK_URL", "https://bot.example.org/tg/hook")
    from bot.settings import BotSettings

    settings = BotSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.api_key is None and settings.telegram_api_base is None
    assert settings.bot_jobs_per_hour == 5 and settings.webhook_path == "/tg/hook"
    assert TOKEN not in repr(settings)  # secrets stay masked
    assert BotSettings.model_fields["redis_url"].description  # documented, per field
    for bad in ({"bot_webhook_secret": "has spaces"}, {"stylize_api_url": "ftp://x"}):
        with pytest.raises(ValidationError):
            BotSettings(_env_file=None, **bad)  # type: ignore[arg-type]
