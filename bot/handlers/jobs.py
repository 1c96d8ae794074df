"""Buttons on a job: Cancel while it runs; Full quality, Again, Stronger, Weaker on its result."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import JobAction, ResultAction
from bot.catalog import Catalog
from bot.i18n import Translator
from bot.kept import Kept
from bot.keyboards import styles_keyboard
from bot.runner import JobRunner, again
from bot.states import Flow


async def cancel_job(
    query: CallbackQuery, callback_data: JobAction, t: Translator, runner: JobRunner
) -> None:
    stopping = await runner.cancel(query.from_user.id, callback_data.job_id)
    await query.answer(t("stopping") if stopping else t("job-not-running"))


async def result_action(
    query: CallbackQuery,
    callback_data: ResultAction,
    state: FSMContext,
    t: Translator,
    runner: JobRunner,
    catalog: Catalog,
    uploads: Kept[str],
    bot: Bot,
) -> None:
    await query.answer()
    chat = query.message.chat.id if query.message else query.from_user.id
    request = runner.results.get(callback_data.token)
    if request is None or request.user_id != query.from_user.id:
        await bot.send_message(chat, t("expired"))
        return
    if callback_data.action == "again":  # the same photo, a style still to choose
        keyboard = styles_keyboard(await catalog.styles(), t)
        await state.set_state(Flow.waiting_style)
        await state.update_data(content=uploads.put(request.content_file_id))
        await bot.send_message(chat, t("waiting-style"), reply_markup=keyboard)
        return
    await runner.start(again(request, callback_data.action), t)


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="jobs")
    router.callback_query.register(cancel_job, JobAction.filter(F.action == "cancel"))
    router.callback_query.register(
        result_action, ResultAction.filter(F.action.in_({"again", "stronger", "weaker", "full"}))
    )
    return router
