"""The service down, busy or without event streams; Telegram's flood control; secrets in logs."""

from __future__ import annotations

import logging

from tests.bot.conftest import (
    API_KEY,
    TOKEN,
    bot_settings,
    finished,
    free_port,
    jpeg,
    photo_and_preset,
    running_bot,
)
from tests.bot.fake_service import FakeService


async def test_service_down_then_back(telegram):
    port = free_port()
    async with running_bot(bot_settings(telegram, f"http://127.0.0.1:{port}")):
        telegram.photo(jpeg())  # nothing listens: connection refused, retried, given up
        await telegram.wait_text("not answering")
        mark = telegram.mark()
        telegram.text("/help")  # the bot itself keeps working
        await telegram.wait_text("How it works", after=mark)
        service = FakeService(api_key=API_KEY)
        await service.start(port)  # the service comes back
        try:
            mark = telegram.mark()
            await photo_and_preset(telegram)
            await finished(telegram, after=mark)
        finally:
            await service.stop()


async def test_retry_after_from_the_service_is_honoured(bot, telegram, service):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    service.failures.append((503, {"Retry-After": "0.3"}))  # queue full, once
    telegram.press("style:wave")
    await finished(telegram)
    first, second = service.of("POST", "/jobs")
    assert second.at - first.at >= 0.3  # the client's own backoff here is 0.01 s


async def test_a_service_that_stays_busy(bot, telegram, service):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    service.failures.extend([(503, {"Retry-After": "0"})] * 4)  # every retry, bounded
    telegram.press("style:wave")
    await telegram.wait_text("The painting service is busy")
    assert len(service.of("POST", "/jobs")) == 4 and not service.jobs


async def test_without_event_streams_the_bot_polls(bot, telegram, service):
    service.sse = False
    await photo_and_preset(telegram)
    await finished(telegram)
    job_id = service.last_job().id
    assert len(service.of("GET", f"/jobs/{job_id}")) >= 2  # 404 for /events, then polls


async def test_telegram_429_is_waited_out(bot, telegram):
    telegram.flood_next("sendMessage", times=1, retry_after=1)
    telegram.text("/help")
    delivered = await telegram.wait_text("How it works")
    flooded = next(c for c in telegram.calls if c.flooded)
    assert flooded.method == "sendMessage" and delivered.at - flooded.at >= 1.0


async def test_telegram_5xx_is_retried_and_the_result_arrives_once(bot, telegram, service):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.fail_next("sendPhoto", times=2, status=502)  # the result, twice
    telegram.fail_next("sendDocument", times=1, status=500)
    telegram.press("style:wave")
    photo, document = await finished(telegram, timeout=20)
    failed = [c for c in telegram.calls if c.failed]
    assert [c.method for c in failed] == ["sendPhoto", "sendPhoto", "sendDocument"]
    assert photo.at - failed[1].at >= 1.0  # backed off 0.5 s, then 1 s
    assert len(telegram.of("sendPhoto")) == 1 and len(telegram.of("sendDocument")) == 1


async def test_a_long_telegram_outage_loses_a_reply_not_the_bot(bot, telegram):
    telegram.fail_next("sendMessage", times=4, status=502)  # more than the retries
    telegram.text("/help")
    await telegram.wait_text("Something went wrong", timeout=20)  # once Telegram is back
    telegram.fail_next("getUpdates", times=3, status=500)  # polling fails too, then recovers
    mark = telegram.mark()
    telegram.text("/help")
    await telegram.wait_text("How it works", after=mark, timeout=30)
    assert sum(1 for c in telegram.calls if c.failed and c.method == "sendMessage") == 4


async def test_no_secret_in_any_log_line(telegram, service, caplog):
    caplog.set_level(logging.DEBUG)
    dead = f"http://127.0.0.1:{free_port()}"
    async with running_bot(bot_settings(telegram, dead)):
        telegram.photo(jpeg())
        await telegram.wait_text("not answering")  # service errors are logged
    async with running_bot(bot_settings(telegram, service.url)):
        telegram.flood_next("sendMessage", times=1, retry_after=1)
        mark = telegram.mark()
        await photo_and_preset(telegram)
        await finished(telegram, after=mark)
        telegram.photo(jpeg())
        await telegram.wait_text("Now pick a painting", after=mark)
        file_id = telegram.add_file(jpeg())
        del telegram.files[file_id]  # a failed download: aiohttp's error names the URL
        telegram.send(photo=[{"file_id": file_id, "file_unique_id": "x", "width": 1, "height": 1}])
        await telegram.wait_text("could not fetch your picture")
    logged = "\n".join(
        caplog.text.splitlines()
        + [logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info]
    )
    assert len(caplog.records) > 20  # the check saw real traffic
    for secret in (TOKEN, TOKEN.split(":")[1], API_KEY):
        assert secret not in logged
