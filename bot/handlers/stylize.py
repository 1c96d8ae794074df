"""Photo in, style chosen (a preset, an image, or an album), job started; the result buttons."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message

from bot import preferences
from bot.api_client import StylizeClient
from bot.callbacks import FlowAction, JobAction, ResultAction, StyleChoice
from bot.i18n import Translator
from bot.keyboards import styles_keyboard
from bot.media import AlbumCollector, image_file
from bot.runner import JobRunner, Request, again
from bot.states import Flow


async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    await message.answer(t("cancelled") if had_state else t("nothing-to-cancel"))


async def cancel_button(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await query.answer()
    if query.message is not None:
        await query.message.answer(t("cancelled"))


async def album(
    message: Message,
    albums: AlbumCollector,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    bot: Bot,
    fsm_storage: BaseStorage,
    max_file_bytes: int,
) -> None:
    async def complete(messages: list[Message]) -> None:
        files = [image_file(m, max_file_bytes) for m in messages[:2]]
        problems = [err for _, err in files if err]
        if problems or len(files) < 2:
            await message.answer(t(problems[0] if problems else "waiting-style"))
            return
        await start_with_style(
            message, files[0][0], files[1][0], state, t, runner, bot, fsm_storage
        )

    albums.add(message, complete)


async def start_with_style(
    message: Message,
    content_file_id: str,
    style_file_id: str,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    bot: Bot,
    fsm_storage: BaseStorage,
) -> None:
    """Both images are in: leave the conversation state and start the job."""
    await state.clear()
    prefs = await preferences.load(fsm_storage, bot.id, message.from_user.id)
    request = Request(
        message.chat.id,
        message.from_user.id,
        content_file_id,
        style_file_id=style_file_id,
        prefs=prefs,
    )
    await runner.start(request, t)


async def image(
    message: Message,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    api: StylizeClient,
    bot: Bot,
    fsm_storage: BaseStorage,
    max_file_bytes: int,
) -> None:
    file_id, problem = image_file(message, max_file_bytes)
    if problem:
        await message.answer(t(problem))
        return
    data = await state.get_data()
    if await state.get_state() == Flow.waiting_style and data.get("content"):
        await start_with_style(
            message, data["content"], file_id, state, t, runner, bot, fsm_storage
        )
        return
    await state.set_state(Flow.waiting_style)
    await state.update_data(content=file_id)
    await message.answer(t("waiting-style"), reply_markup=styles_keyboard(await api.styles(), t))


async def text(message: Message, state: FSMContext, t: Translator) -> None:
    waiting = await state.get_state() == Flow.waiting_style
    await message.answer(t("waiting-style") if waiting else t("send-photo-first"))


async def preset_chosen(
    query: CallbackQuery,
    callback_data: StyleChoice,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    bot: Bot,
    fsm_storage: BaseStorage,
) -> None:
    await query.answer()
    data = await state.get_data()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if not data.get("content"):
        await bot.send_message(chat_id, t("send-photo-first"))
        return
    await state.clear()
    prefs = await preferences.load(fsm_storage, bot.id, query.from_user.id)
    fast = await runner.fast_method_for(callback_data.preset)
    await runner.start(
        Request(
            chat_id,
            query.from_user.id,
            data["content"],
            preset=callback_data.preset,
            prefs=prefs,
            method=fast or "gatys",
        ),
        t,
    )


async def cancel_job(query: CallbackQuery, callback_data: JobAction, runner: JobRunner) -> None:
    await runner.cancel(callback_data.job_id)
    await query.answer()


async def result_action(
    query: CallbackQuery,
    callback_data: ResultAction,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    api: StylizeClient,
    bot: Bot,
) -> None:
    await query.answer()
    request = runner.kept(callback_data.token)
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if request is None:
        await bot.send_message(chat_id, t("expired"))
        return
    if callback_data.action == "again":
        await state.set_state(Flow.waiting_style)
        await state.update_data(content=request.content_file_id)
        await bot.send_message(
            chat_id, t("waiting-style"), reply_markup=styles_keyboard(await api.styles(), t)
        )
        return
    await runner.start(again(request, callback_data.action), t)


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="stylize")
    router.message.register(cancel, Command("cancel"))
    router.callback_query.register(cancel_button, FlowAction.filter(F.action == "cancel"))
    router.message.register(album, F.media_group_id, F.photo | F.document)
    router.message.register(image, F.photo | F.document)
    router.message.register(text, F.text & ~F.text.startswith("/"))
    router.callback_query.register(preset_chosen, StyleChoice.filter())
    router.callback_query.register(cancel_job, JobAction.filter(F.action == "cancel"))
    router.callback_query.register(result_action, ResultAction.filter())
    return router
