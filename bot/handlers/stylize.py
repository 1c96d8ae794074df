"""Images in: a photo (or a clip), then a preset or a style image (either order), or both
as an album."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message

from bot import preferences
from bot.callbacks import FlowAction, StyleChoice
from bot.catalog import FAST_METHODS, Catalog
from bot.i18n import Translator
from bot.kept import Kept
from bot.keyboards import flow_cancel_keyboard, styles_keyboard
from bot.media import AlbumCollector, ClipKind, ClipRef, ImageRef, carries_clip, clip_in, image_in
from bot.runner import JobRunner, Request
from bot.states import Flow

OTHER_MEDIA = F.sticker | F.voice | F.audio


async def begin(
    runner: JobRunner,
    t: Translator,
    bot: Bot,
    storage: BaseStorage,
    chat_id: int,
    user_id: int,
    content: str,
    *,
    style: str | None = None,
    preset: str | None = None,
    method: str = "gatys",
    clip: ClipKind | None = None,
) -> None:
    """Start a job with the user's remembered settings."""
    prefs = await preferences.load(storage, bot.id, user_id)
    request = Request(chat_id, user_id, content, style, preset, prefs, method=method, clip=clip)
    await runner.start(request, t)


async def image(
    message: Message,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    catalog: Catalog,
    uploads: Kept[str],
    bot: Bot,
    fsm_storage: BaseStorage,
    max_file_bytes: int,
) -> None:
    found = image_in(message, max_file_bytes)
    if not isinstance(found, ImageRef):
        await message.answer(t(found.key, **found.args))
        return
    user, chat = message.from_user.id, message.chat.id  # type: ignore[union-attr]
    where, data = await state.get_state(), await state.get_data()
    content = uploads.get(data.get("content")) if where == Flow.waiting_style.state else None
    if content is not None:  # this one is the style: an instant picture where one can be had
        clip = data.get("clip")
        method = await catalog.any_painting_method()
        if clip and method is None:  # a clip needs a one-pass model, Gatys takes minutes a frame
            await message.answer(t("clip-needs-instant"))
            return
        await state.clear()
        await begin(
            runner, t, bot, fsm_storage, chat, user, content,
            style=found.file_id, method=method or "gatys", clip=clip,
        )  # fmt: skip
        return
    if where == Flow.waiting_photo.state and data.get("preset"):
        await state.clear()
        preset = data["preset"]
        method = await catalog.fast_method(preset) or "gatys"
        await begin(
            runner, t, bot, fsm_storage, chat, user, found.file_id, preset=preset, method=method
        )
        return
    await ask_for_painting(message, state, t, runner, catalog, uploads, found.file_id, clip=None)


async def ask_for_painting(
    message: Message,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    catalog: Catalog,
    uploads: Kept[str],
    content: str,
    clip: ClipKind | None,
) -> None:
    """The content is in: keep it and offer the paintings (for a clip, only those a one-pass
    model paints: Gatys would take minutes a frame)."""
    user = message.from_user.id  # type: ignore[union-attr]
    if refusal := runner.refusal(user, t, busy_too=False):  # say so before they pick a style
        await message.answer(refusal)
        return
    styles = await catalog.styles()  # service down: no state is left
    if clip is not None:
        styles = [s for s in styles if any(m in s.methods for m in FAST_METHODS)]
    await state.set_state(Flow.waiting_style)
    await state.update_data(content=uploads.put(content), clip=clip)
    text = t("waiting-style-clip" if clip else "waiting-style")
    await message.answer(text, reply_markup=styles_keyboard(styles, t))


async def clip(
    message: Message,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    catalog: Catalog,
    uploads: Kept[str],
    bot: Bot,
    fsm_storage: BaseStorage,
    max_file_bytes: int,
) -> None:
    """A video, GIF animation or video note: the content, painted by a one-pass model."""
    found = clip_in(message, max_file_bytes)
    if not isinstance(found, ClipRef):
        await message.answer(t(found.key, **found.args))
        return
    user, chat = message.from_user.id, message.chat.id  # type: ignore[union-attr]
    where, data = await state.get_state(), await state.get_data()
    if where == Flow.waiting_photo.state and data.get("preset"):
        preset = data["preset"]
        method = await catalog.fast_method(preset)
        if method is None:
            await message.answer(t("clip-needs-instant"))
            return
        await state.clear()
        await begin(
            runner, t, bot, fsm_storage, chat, user, found.file_id,
            preset=preset, method=method, clip=found.kind,
        )  # fmt: skip
        return
    await ask_for_painting(message, state, t, runner, catalog, uploads, found.file_id, found.kind)


async def album(
    message: Message,
    albums: AlbumCollector,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    catalog: Catalog,
    bot: Bot,
    fsm_storage: BaseStorage,
    max_file_bytes: int,
) -> None:
    messages = await albums.collect(message)
    if messages is None:  # another part of an album whose first part is being handled
        return
    found = [image_in(m, max_file_bytes) for m in messages[:2]]
    for item in found:
        if not isinstance(item, ImageRef):
            await message.answer(t(item.key, **item.args))
            return
    refs = [item for item in found if isinstance(item, ImageRef)]
    if len(refs) < 2:  # the rest of the album was not pictures (a video, say)
        await message.answer(t("album-two-images"))
        return
    content, style = refs[0].file_id, refs[1].file_id
    await state.clear()
    user = message.from_user.id  # type: ignore[union-attr]
    method = await catalog.any_painting_method() or "gatys"
    await begin(
        runner, t, bot, fsm_storage, message.chat.id, user, content, style=style, method=method
    )


async def preset_chosen(
    query: CallbackQuery,
    callback_data: StyleChoice,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    catalog: Catalog,
    uploads: Kept[str],
    bot: Bot,
    fsm_storage: BaseStorage,
) -> None:
    await query.answer()
    chat = query.message.chat.id if query.message else query.from_user.id
    preset = callback_data.preset
    where, data = await state.get_state(), await state.get_data()
    content = uploads.get(data.get("content")) if where == Flow.waiting_style.state else None
    if content is None:  # a preset first (from /styles): the photo comes next
        style = await catalog.find(preset)
        title = style.title if style else preset
        await state.set_state(Flow.waiting_photo)
        await state.update_data(preset=preset, title=title)
        await bot.send_message(
            chat, t("waiting-photo", title=title), reply_markup=flow_cancel_keyboard(t)
        )
        return
    clip = data.get("clip")
    method = await catalog.fast_method(preset)
    if clip and method is None:  # the state stays: another painting may do
        await bot.send_message(chat, t("clip-needs-instant"))
        return
    await state.clear()
    await begin(
        runner, t, bot, fsm_storage, chat, query.from_user.id, content,
        preset=preset, method=method or "gatys", clip=clip,
    )  # fmt: skip


async def cancel(message: Message, state: FSMContext, t: Translator, runner: JobRunner) -> None:
    """/cancel: leave whatever we were waiting for, and stop a running job."""
    had_state = await state.get_state() is not None
    await state.clear()
    if await runner.cancel(message.from_user.id):  # type: ignore[union-attr]
        await message.answer(t("stopping"))
    else:
        await message.answer(t("cancelled") if had_state else t("nothing-to-cancel"))


async def cancel_button(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await query.answer(t("cancelled"))
    if query.message is not None:
        await query.message.answer(t("cancelled"))


async def other_media(message: Message, t: Translator) -> None:
    await message.answer(t("not-an-image"))


async def text(message: Message, state: FSMContext, t: Translator) -> None:
    """Plain text: remind the user what we are waiting for."""
    where = await state.get_state()
    if where == Flow.waiting_style.state:
        await message.answer(t("waiting-style"))
    elif where == Flow.waiting_photo.state:
        await message.answer(t("waiting-photo", title=(await state.get_data()).get("title", "")))
    else:
        await message.answer(t("send-photo-first"))


async def unknown_command(message: Message, t: Translator) -> None:
    await message.answer(t("unknown-command"))


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="stylize")
    router.message.register(cancel, Command("cancel"))
    router.callback_query.register(cancel_button, FlowAction.filter(F.action == "cancel"))
    router.message.register(clip, carries_clip)
    router.message.register(album, F.media_group_id, F.photo | F.document)
    router.message.register(image, F.photo | F.document)
    router.message.register(other_media, OTHER_MEDIA)
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(text, F.text)
    router.callback_query.register(preset_chosen, StyleChoice.filter())
    return router
