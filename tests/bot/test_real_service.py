"""One full flow against the real service with the real engine (tiny size, few steps)."""

import io

import pytest
from PIL import Image

from api.main import create_app
from api.settings import Settings
from bot.callbacks import StyleChoice
from tests.bot.conftest import API_KEY, bot_settings, free_port, jpeg, running_bot, serve


@pytest.mark.slow
async def test_photo_preset_progress_result_with_the_real_engine(telegram):
    settings = Settings(api_key=API_KEY, device="cpu", max_size=64, max_steps=6, preview_every=0)
    async with serve(create_app(settings), free_port()) as url:
        async with running_bot(bot_settings(telegram, url)):
            telegram.photo(jpeg())
            await telegram.wait_text("Now pick a painting")
            telegram.press(StyleChoice(preset="starry_night").pack())
            document = await telegram.wait_for(lambda c: c.method == "sendDocument", timeout=120)
    image = Image.open(io.BytesIO(document.files["document"]))
    assert image.format == "PNG" and max(image.size) == 64
    photo = telegram.of("sendPhoto")[-1]
    assert Image.open(io.BytesIO(photo.files["photo"])).size == image.size
    statuses = [c.params["text"] for c in telegram.of("editMessageText")]
    assert statuses[-1] == "Done!"
