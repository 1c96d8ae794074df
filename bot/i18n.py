"""Messages per language (Fluent files in bot/locales), chosen from the user's Telegram language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from fluent.runtime import FluentLocalization, FluentResourceLoader

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("en", "ru")
DEFAULT = "en"


class Translator:
    def __init__(self, language: str) -> None:
        self.language = language
        self._fluent = _localization(language)

    def __call__(self, key: str, **args: Any) -> str:
        return self._fluent.format_value(key, args)


@lru_cache(maxsize=len(LANGUAGES))
def _localization(language: str) -> FluentLocalization:
    loader = FluentResourceLoader(str(LOCALES_DIR / "{locale}"))
    fallbacks = [language, DEFAULT] if language != DEFAULT else [DEFAULT]
    # Fluent isolates placeables with Unicode marks by default; Telegram shows them as junk.
    loc = FluentLocalization(fallbacks, ["bot.ftl"], loader)
    for bundle in loc._bundles():
        bundle.use_isolating = False
    return loc


def language_of(user: User | None) -> str:
    code = (user.language_code or "").split("-")[0].lower() if user else ""
    return code if code in LANGUAGES else DEFAULT


def translator_for(user: User | None) -> Translator:
    return Translator(language_of(user))


class I18nMiddleware(BaseMiddleware):
    """Gives every handler `t`, the translator for the user who sent the update."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["t"] = translator_for(data.get("event_from_user"))
        return await handler(event, data)
