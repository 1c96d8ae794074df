"""The pieces on their own: texts, throttled edits, limits, memory, buttons, redaction."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.api_client import Job, JobOptions, ServiceError
from bot.i18n import Translator
from bot.kept import Kept
from bot.limits import UserLimits
from bot.logs import Redact
from bot.preferences import Preferences
from bot.progress import StatusMessage, progress_text
from bot.runner import Request, again, service_message

en, ru = Translator("en"), Translator("ru")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def job(**fields) -> Job:
    return Job(**({"id": "j", "status": "running"} | fields))


def test_progress_texts():
    assert progress_text(job(status="queued", queue_position=2), en) == (
        "In the queue: 2 pictures ahead of yours."
    )
    assert progress_text(job(progress=0.427, eta_seconds=12.1), en) == (
        "Painting… 42%\nAbout 15 s left."
    )
    assert progress_text(job(progress=0.1, eta_seconds=130), ru) == (
        "Рисую… 10%\nОсталось около 3 мин."
    )
    assert progress_text(job(status="succeeded", progress=1.0, eta_seconds=0), en) == (
        "Painting… 100%"
    )


class EditRecorder:
    """Stands in for aiogram's Bot: records when each edit was made."""

    def __init__(self) -> None:
        self.edits: list[tuple[float, str]] = []

    async def edit_message_text(self, text: str, **_: object) -> None:
        self.edits.append((time.monotonic(), text))


async def test_status_edits_are_spaced_coalesced_and_only_on_change():
    bot, tasks = EditRecorder(), set()
    status = StatusMessage(bot, 1, 2, "start", interval_s=0.2, tasks=tasks)  # type: ignore[arg-type]
    sent_at = time.monotonic()
    async with status:
        for percent in range(10):  # a burst of progress: one edit, with the latest text
            status.show(f"{percent}%")
            await asyncio.sleep(0)
        while not bot.edits:
            await asyncio.sleep(0.01)
        status.show("9%")  # no change: no edit
        status.show("done soon")
    await status.finish("done")
    times = [at for at, _ in bot.edits]
    assert [text for _, text in bot.edits] == ["9%", "done"]
    assert times[0] - sent_at >= 0.19 and times[1] - times[0] >= 0.19
    assert not tasks  # the painter task is gone with the block


def test_limits_per_hour_and_one_at_a_time():
    clock = Clock()
    limits = UserLimits(2, clock)
    limits.begin(7)
    assert limits.busy(7) and not limits.busy(8)
    limits.end(7)
    clock.now += 600
    limits.begin(7)
    limits.end(7)
    assert limits.minutes_until_allowed(7) == 50  # the first job leaves the window first
    clock.now += 3000
    assert limits.minutes_until_allowed(7) == 0
    limits.begin(7)
    limits.end(7, refund=True)  # the service never took it
    assert limits.minutes_until_allowed(7) == 0


def test_kept_images_expire():
    clock = Clock()
    kept: Kept[str] = Kept(60, clock)
    token = kept.put("file-id")
    assert kept.get(token) == "file-id" and kept.get("guess") is None and kept.get(None) is None
    clock.now += 61
    assert kept.get(token) is None and len(kept) == 0


def test_strength_buttons_multiply_and_clamp():
    request = Request(1, 1, "c", preset="p", prefs=Preferences(strength="strong"), method="gan")
    stronger = again(again(again(request, "stronger"), "stronger"), "stronger")
    assert stronger.method == "gatys" and stronger.prefs.options(
        stronger.method, stronger.strength_factor
    ) == JobOptions(strength=10.0, quality="balanced", preserve_color="none", method="gatys")
    weaker = again(Request(1, 1, "c", prefs=Preferences(strength="light")), "weaker")
    assert weaker.prefs.options(strength_factor=weaker.strength_factor).strength == 0.2
    assert Preferences().with_choice("quality", "bogus") == Preferences()


def test_full_quality_refines_the_instant_preview():
    preview = Request(1, 1, "c", preset="starry_night", method="feedforward")
    full = again(preview, "full")
    assert (full.method, full.init) == ("gatys", "preview")
    assert full.prefs.options(full.method, full.strength_factor, full.init).init == "preview"
    # Stronger or weaker change the strength: they start from the photo.
    assert again(preview, "stronger").init is None
    assert again(full, "weaker").init is None
    assert again(Request(1, 1, "c", preset="starry_night"), "full").init is None


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (ServiceError("refused"), "not answering"),
        (ServiceError("oops", 500), "not answering"),
        (ServiceError("full", 503, 5), "busy"),
        (ServiceError("3x3 px <small>", 422), "could not take this picture: 3x3 px &lt;small&gt;"),
        (ServiceError("who?", 401), "went wrong on my side"),
    ],
)
def test_what_users_hear_about_service_errors(error, says):
    assert says in service_message(error, en)


def test_redaction_filter_masks_secrets_in_messages_and_tracebacks():
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(Redact(["123:abcdef", "abcdef", "key-1234"]))
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    try:
        log.warning("GET /bot%s/getMe with %s", "123:abcdef", "key-1234")
        try:
            raise RuntimeError("url http://x/file/bot123:abcdef/p")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    assert records[0] == "GET /bot***/getMe with ***"
    assert "abcdef" not in records[1] and "bot***/p" in records[1]
