"""One job at a time per user, and the hourly limit, seen by users."""

from __future__ import annotations

from tests.bot.conftest import bot_settings, finished, jpeg, photo_and_preset, running_bot


async def test_one_job_at_a_time_per_user(bot, telegram, service):
    service.gate.clear()
    await photo_and_preset(telegram)
    await telegram.wait_text("Painting… 50%")
    mark = telegram.mark()
    await photo_and_preset(telegram)  # a second picture while the first is painted
    await telegram.wait_text("already have a picture in progress", after=mark)
    assert len(service.jobs) == 1
    await photo_and_preset(telegram, user_id=2)  # other users are not held up
    await telegram.wait_for("editMessageText", lambda c: "Painting" in c.text, after=mark)
    assert len(service.jobs) == 2
    service.gate.set()
    await finished(telegram, after=mark)
    mark = telegram.mark()
    await photo_and_preset(telegram)
    await finished(telegram, after=mark)
    assert len(service.jobs) == 3


async def test_hourly_limit_says_when_to_come_back(telegram, service):
    async with running_bot(bot_settings(telegram, service.url, bot_jobs_per_hour=2)):
        for _ in range(2):
            mark = telegram.mark()
            await photo_and_preset(telegram)
            await finished(telegram, after=mark)
        mark = telegram.mark()
        telegram.photo(jpeg())
        refusal = await telegram.wait_text("this hour", after=mark)
        assert "You can try again in 60 min" in refusal.text
        assert len(service.jobs) == 2
        telegram.photo(jpeg(), user_id=2)  # a limit per user
        await telegram.wait_text("Now pick a painting", after=mark)


async def test_a_job_the_service_refused_does_not_count(telegram, service):
    async with running_bot(bot_settings(telegram, service.url, bot_jobs_per_hour=1)) as app:
        telegram.photo(b"not an image at all", size=100)
        await telegram.wait_text("Now pick a painting")
        telegram.press("style:wave")
        await telegram.wait_text("could not take this picture")
        assert app.runner.limits.minutes_until_allowed(1) == 0
        mark = telegram.mark()
        await photo_and_preset(telegram)
        await finished(telegram, after=mark)
