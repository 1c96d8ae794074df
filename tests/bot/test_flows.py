"""End-to-end flows: updates in through a fake Telegram, jobs through the service over HTTP."""

import asyncio
import io
import logging
import threading

from PIL import Image

from bot.callbacks import FlowAction, JobAction, ResultAction, SettingChoice, StyleChoice
from tests.bot.conftest import API_KEY, TOKEN, bot_settings, free_port, jpeg, running_bot


def keyboard_data(call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_help_and_styles(bot, telegram):
    telegram.text("/start")
    await telegram.wait_text("Send me a photo")
    telegram.text("/help", lang="ru")
    await telegram.wait_text("Как это работает")
    telegram.text("/styles")
    call = await telegram.wait_text("Pick a painting:")
    assert StyleChoice(preset="starry_night").pack() in keyboard_data(call)
    photos = telegram.of("sendPhoto")
    assert photos and Image.open(io.BytesIO(photos[0].files["photo"])).format == "JPEG"


async def test_photo_then_preset_gives_progress_and_results(bot, telegram, engine):
    telegram.photo(jpeg())
    call = await telegram.wait_text("Now pick a painting")
    assert StyleChoice(preset="the_scream").pack() in keyboard_data(call)
    telegram.press(StyleChoice(preset="the_scream").pack())
    document = await telegram.wait_for(lambda c: c.method == "sendDocument", timeout=20)
    photo = next(c for c in telegram.of("sendPhoto"))
    for data in (document.files["document"], photo.files["photo"]):
        assert Image.open(io.BytesIO(data)).format == "PNG"  # full quality, not recompressed
    edits = [c.params["text"] for c in telegram.of("editMessageText")]
    assert any("%" in e for e in edits) and "Done!" in edits[-1]
    assert engine.calls[-1].preset == "the_scream"
    assert ResultAction(action="stronger", token="x").pack().split(":")[1] in str(
        keyboard_data(photo)
    )


async def test_cancel_button_cancels_the_job_in_the_service(bot, telegram, engine):
    engine.gate = threading.Event()
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.press(StyleChoice(preset="starry_night").pack())
    status = await telegram.wait_for(
        lambda c: any(d.startswith("job:cancel") for d in keyboard_data(c))
    )
    job_id = JobAction.unpack(next(d for d in keyboard_data(status) if d.startswith("job:"))).job_id
    await asyncio.to_thread(engine.step_started.wait, 10)
    telegram.press(JobAction(action="cancel", job_id=job_id).pack())
    await asyncio.sleep(0.2)
    engine.gate.set()
    await telegram.wait_text("Stopped.")
    assert not telegram.of("sendDocument")


async def test_album_and_own_style_image(bot, telegram, engine):
    telegram.photo(jpeg(1), media_group_id="g1")
    telegram.photo(jpeg(2), media_group_id="g1")
    await telegram.wait_for(lambda c: c.method == "sendDocument", timeout=20)
    assert engine.calls[-1].preset is None
    telegram.photo(jpeg(3))
    await telegram.wait_text("Now pick a painting")
    telegram.document(jpeg(4), "style.jpg", "image/jpeg")
    await telegram.wait_for(
        lambda c: c.method == "sendDocument" and len(telegram.of("sendDocument")) == 2, timeout=20
    )


async def test_settings_are_remembered_and_used(bot, telegram, engine):
    telegram.text("/settings")
    await telegram.wait_text("Settings")
    telegram.press(SettingChoice(key="strength", value="strong").pack())
    telegram.press(SettingChoice(key="colour", value="keep").pack())
    await telegram.wait_for(
        lambda c: c.method == "editMessageText" and "keep the photo" in c.params["text"]
    )
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.press(StyleChoice(preset="dress").pack())
    await telegram.wait_for(lambda c: c.method == "sendDocument", timeout=20)
    params = engine.calls[-1]
    assert params.strength == 2.5 and params.preserve_color == "luminance"


async def test_cancel_command_leaves_state(bot, telegram):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.text("/cancel")
    await telegram.wait_text("Cancelled")
    telegram.press(StyleChoice(preset="dress").pack())
    await telegram.wait_text("Send me a photo first")
    telegram.press(FlowAction(action="cancel").pack())
    await telegram.wait_text("Cancelled")


async def test_bad_files_get_a_clear_reply(bot, telegram):
    telegram.document(b"hello", "notes.txt", "text/plain")
    await telegram.wait_text("does not look like an image")
    telegram.document(jpeg(), "huge.jpg", "image/jpeg", size=50 * 1024 * 1024)
    await telegram.wait_text("too large")
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.document(b"\xff\xd8 not really a jpeg", "fake.jpg", "image/jpeg")
    await telegram.wait_text("could not take this picture")


async def test_russian(bot, telegram):
    telegram.photo(jpeg(), lang="ru")
    await telegram.wait_text("Фото получено")
    telegram.press(StyleChoice(preset="dress").pack(), lang="ru")
    await telegram.wait_text("Готово!", timeout=20)


async def test_one_job_at_a_time_and_hourly_limit(telegram, service, engine):
    async def ask(expect: str) -> None:
        mark = telegram.mark()
        telegram.photo(jpeg())
        await telegram.wait_text("Now pick a painting", after=mark)
        mark = telegram.mark()
        telegram.press(StyleChoice(preset="dress").pack())
        await telegram.wait_for(
            lambda c: (
                expect in (c.params.get("text") or "")
                or (expect == "document" and c.method == "sendDocument")
            ),
            after=mark,
            timeout=20,
        )

    async with running_bot(bot_settings(telegram, service, bot_jobs_per_hour=2)):
        engine.gate = threading.Event()
        await ask("In the queue")  # first job, held mid-run
        await ask("already have a picture in progress")
        engine.gate.set()
        await telegram.wait_for(lambda c: c.method == "sendDocument", timeout=20)
        await ask("document")  # second job of the hour
        await ask("try again in")


async def test_service_down_is_reported_and_bot_keeps_working(telegram):
    dead = f"http://127.0.0.1:{free_port()}"
    async with running_bot(bot_settings(telegram, dead)):
        telegram.photo(jpeg())
        await telegram.wait_text("not answering")
        telegram.text("/help")
        await telegram.wait_text("How it works")


async def test_telegram_429_is_retried(bot, telegram):
    telegram.flood["sendMessage"] = 1
    telegram.text("/help")
    await telegram.wait_text("How it works", timeout=20)
    attempts = [c for c in telegram.of("sendMessage") if "How it works" in c.params.get("text", "")]
    assert len(attempts) == 2


async def test_secrets_never_logged(bot, telegram, caplog):
    caplog.set_level(logging.DEBUG)
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.press(StyleChoice(preset="dress").pack())
    await telegram.wait_for(lambda c: c.method == "sendDocument", timeout=20)
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged and API_KEY not in logged


async def test_fast_preview_then_full_quality(bot, telegram, engine):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.press(StyleChoice(preset="starry_night").pack())  # the service has a fast model
    preview = await telegram.wait_text("quick preview", timeout=20)
    await telegram.wait_for(lambda c: c.method == "sendDocument", timeout=20)
    assert engine.calls[-1].method == "feedforward"
    full = next(d for d in keyboard_data(preview) if d.startswith("res:full"))
    mark = telegram.mark()
    telegram.press(full)
    await telegram.wait_for(lambda c: c.method == "sendDocument", after=mark, timeout=20)
    assert engine.calls[-1].method == "gatys" and engine.calls[-1].preset == "starry_night"
