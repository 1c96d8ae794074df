"""End to end: updates in through the fake Telegram, jobs through a service over HTTP."""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image

from bot.callbacks import FlowAction, JobAction, ResultAction, StyleChoice
from tests.bot.conftest import finished, jpeg, photo_and_preset
from tests.conftest import heic, make_photo


def decoded(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


async def test_start_help_and_the_styles_gallery(bot, telegram, service):
    telegram.text("/start")
    await telegram.wait_text("Send me a photo")
    telegram.text("/help")
    await telegram.wait_text("How it works")
    telegram.text("/styles")
    menu = await telegram.wait_text("Pick a painting:")
    assert StyleChoice(preset="wave").pack() in menu.buttons()
    gallery = telegram.of("sendMediaGroup")[-1]
    assert len(gallery.params["media"]) == 3 and "Hokusai" in gallery.params["media"][2]["caption"]
    assert decoded(gallery.files["media0"]).format == "JPEG"
    # A second gallery resends the thumbnails by Telegram file id instead of uploading them.
    mark = telegram.mark()
    telegram.text("/styles")
    again = await telegram.wait_for("sendMediaGroup", after=mark)
    assert not again.files and len(service.of("GET", "/styles/")) == 3


async def test_start_shows_the_example_picture_when_it_ships(bot, telegram, tmp_path, monkeypatch):
    from bot.handlers import start

    example = tmp_path / "example.jpg"
    example.write_bytes(jpeg(7))
    monkeypatch.setattr(start, "EXAMPLE", example)
    telegram.text("/start")
    shown = await telegram.wait_for("sendPhoto")
    assert "what comes out" in shown.text and decoded(shown.files["photo"]).size == (48, 32)


async def test_photo_preset_progress_and_results(bot, telegram, service):
    service.gate.clear()  # jobs stop at 50% until released
    await photo_and_preset(telegram, "the_scream")
    await telegram.wait_text("Painting… 50%")
    service.gate.set()
    photo, document = await finished(telegram)
    for data in (document.files["document"], photo.files["photo"]):
        assert decoded(data).format == "PNG" and decoded(data).size == (48, 32)
    edits = [c.text for c in telegram.of("editMessageText")]
    assert any("Painting… 50%" in e and "About 5 s left" in e for e in edits)
    assert edits[-1] == "Done!"
    sent = service.last_job().form
    assert sent["preset"] == "the_scream" and sent["format"] == "png"
    assert sent["method"] == "gatys" and sent["strength"] == "1"
    assert {ResultAction.unpack(d).action for d in photo.buttons()} == {
        "again",
        "stronger",
        "weaker",
    }


async def test_cancel_mid_job_cancels_it_in_the_service(bot, telegram, service):
    service.gate.clear()  # jobs stop at 50% until released
    await photo_and_preset(telegram)
    running = await telegram.wait_text("Painting… 50%")
    cancel = next(d for d in running.buttons() if d.startswith("job:"))
    telegram.press(cancel)
    deleted = await service.wait_for("DELETE", "/jobs/")
    assert deleted.path == f"/jobs/{JobAction.unpack(cancel).job_id}"
    await telegram.wait_text("Stopped.")
    assert not telegram.of("sendDocument")


async def test_cancel_command_stops_a_running_job(bot, telegram, service):
    service.gate.clear()
    await photo_and_preset(telegram)
    await telegram.wait_text("Painting… 50%")
    telegram.text("/cancel")
    await service.wait_for("DELETE", "/jobs/")
    await telegram.wait_text("Stopped.")


async def test_album_is_content_then_style(bot, telegram, service):
    telegram.photo(jpeg(1), media_group_id="album1")
    telegram.photo(jpeg(2, size=(20, 20)), media_group_id="album1")
    await telegram.wait_for("sendDocument")
    job = service.last_job()
    assert "preset" not in job.form and len(job.files["style"]) == 1
    assert decoded(job.files["content"][0]).size == (48, 32)
    assert decoded(job.files["style"][0]).size == (20, 20)
    assert len(service.jobs) == 1  # one job for the album, not one per picture


async def test_own_style_image_sent_as_a_file(bot, telegram, service):
    telegram.photo(jpeg(1))
    await telegram.wait_text("Now pick a painting")
    telegram.document(jpeg(2, size=(16, 16)), "style.png", "image/png")
    await telegram.wait_for("sendDocument")
    assert decoded(service.last_job().files["style"][0]).size == (16, 16)


async def test_preset_first_then_photo(bot, telegram, service):
    telegram.press(StyleChoice(preset="wave").pack())
    await telegram.wait_text("Style: The Great Wave. Now send the photo")
    telegram.document(jpeg(3), "IMG_0001.HEIC", None)  # a file named like an image
    await telegram.wait_for("sendDocument")
    assert service.last_job().form["preset"] == "wave"


async def test_an_iphone_heic_file_reaches_the_service_byte_for_byte(bot, telegram, service):
    pillow_heif.register_heif_opener()  # for the fake service and for decoding here
    data = heic(make_photo(96, 64))
    telegram.document(data, "IMG_0001.HEIC", "image/heic")
    await telegram.wait_text("Now pick a painting")
    telegram.press(StyleChoice(preset="wave").pack())
    _, document = await finished(telegram)
    sent = service.last_job().files["content"][0]
    assert sent == data  # not transcoded, not cut
    assert decoded(sent).format == "HEIF" and decoded(sent).size == (96, 64)
    assert decoded(document.files["document"]).size == (96, 64)


async def test_cancel_leaves_any_state(bot, telegram):
    telegram.photo(jpeg())
    await telegram.wait_text("Now pick a painting")
    telegram.text("/cancel")
    await telegram.wait_text("Cancelled")
    mark = telegram.mark()
    telegram.text("hello")
    await telegram.wait_text("Send me a photo first", after=mark)
    telegram.press(StyleChoice(preset="wave").pack())
    await telegram.wait_text("Now send the photo")
    mark = telegram.mark()
    telegram.press(FlowAction(action="cancel").pack())
    await telegram.wait_text("Cancelled", after=mark)
    telegram.text("/cancel")
    await telegram.wait_text("nothing to cancel")


async def test_again_stronger_weaker(bot, telegram, service):
    await photo_and_preset(telegram, "the_scream")
    photo, _ = await finished(telegram)
    buttons = {ResultAction.unpack(d).action: d for d in photo.buttons()}
    for action, strength in (("stronger", "2"), ("weaker", "0.5")):
        mark = telegram.mark()
        telegram.press(buttons[action])
        await finished(telegram, after=mark)
        job = service.last_job()
        assert job.form["strength"] == strength and job.form["preset"] == "the_scream"
        assert "init" not in job.form  # from the photo
    mark = telegram.mark()
    telegram.press(buttons["again"])
    await telegram.wait_text("Now pick a painting", after=mark)
    telegram.press(StyleChoice(preset="wave").pack())
    await finished(telegram, after=mark)
    assert service.last_job().form["preset"] == "wave"
    first, last = service.jobs["job1"], service.last_job()
    assert first.files["content"] == last.files["content"]


async def test_instant_preview_then_full_quality(bot, telegram, service):
    await photo_and_preset(telegram, "starry_night")  # the service has a fast model for it
    preview, _ = await finished(telegram)
    assert "quick preview" in preview.text
    first = service.last_job().form
    assert first["method"] == "feedforward" and "init" not in first  # a model takes no init
    full = next(d for d in preview.buttons() if d.startswith("res:full"))
    mark = telegram.mark()
    telegram.press(full)
    refined, _ = await finished(telegram, after=mark)
    job = service.last_job().form
    assert job["method"] == "gatys" and job["preset"] == "starry_night"
    assert job["init"] == "preview"  # Gatys refines the preview the user saw
    # Stronger on the refined result starts from the photo again.
    stronger = next(d for d in refined.buttons() if d.startswith("res:stronger"))
    mark = telegram.mark()
    telegram.press(stronger)
    await finished(telegram, after=mark)
    assert "init" not in service.last_job().form


async def test_an_own_painting_gets_an_instant_picture_then_full_quality(bot, telegram, service):
    service.methods.append({"id": "adain", "one_pass": True, "any_painting": True})
    telegram.photo(jpeg(1))
    await telegram.wait_text("Now pick a painting")
    telegram.photo(jpeg(2, size=(20, 20)))
    preview, _ = await finished(telegram)
    assert "quick preview" in preview.text
    first = service.last_job().form
    assert first["method"] == "adain" and "preset" not in first
    buttons = {ResultAction.unpack(d).action: d for d in preview.buttons()}
    mark = telegram.mark()
    telegram.press(buttons["stronger"])  # strength moves its features: still instant
    await finished(telegram, after=mark)
    job = service.last_job()
    assert job.form["method"] == "adain" and job.form["strength"] == "2"
    mark = telegram.mark()
    telegram.press(buttons["full"])
    await finished(telegram, after=mark)
    job = service.last_job()
    assert job.form["method"] == "gatys" and job.form["init"] == "preview"
    assert len(job.files["style"]) == 1  # the same painting, refined by Gatys


async def test_without_an_instant_model_an_own_painting_goes_to_gatys(bot, telegram, service):
    telegram.photo(jpeg(1))
    await telegram.wait_text("Now pick a painting")
    telegram.photo(jpeg(2, size=(20, 20)))
    photo, _ = await finished(telegram)
    assert service.last_job().form["method"] == "gatys"
    assert not any(d.startswith("res:full") for d in photo.buttons())


async def test_a_failed_job_is_reported(bot, telegram, service):
    service.outcome = "failed"
    await photo_and_preset(telegram)
    await telegram.wait_text("that did not work: the engine failed")
