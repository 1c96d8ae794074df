"""Messages per language from Fluent files (bot/locales/<lang>/bot.ftl)."""

from __future__ import annotations

import html
import logging
from functools import cache
from pathlib import Path
from typing import Any

from aiogram.types import User
from fluent.runtime import FluentBundle, FluentResource

log = logging.getLogger("bot.i18n")
LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("en", "ru")
DEFAULT = "en"


@cache
def _bundle(language: str) -> FluentBundle:
    # Fluent wraps placeables in Unicode isolation marks by default; Telegram shows them.
    bundle = FluentBundle([language], use_isolating=False)
    bundle.add_resource(FluentResource((LOCALES_DIR / language / "bot.ftl").read_text("utf-8")))
    return bundle


class Translator:
    """`t("key", name=value)`: the message in the user's language, English as the fallback.

    String arguments are HTML-escaped, since messages are sent with parse_mode=HTML and
    arguments may come from users or the service.
    """

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT

    def __call__(self, key: str, **args: Any) -> str:
        safe = {
            k: html.escape(v, quote=False) if isinstance(v, str) else v for k, v in args.items()
        }
        for language in dict.fromkeys((self.language, DEFAULT)):
            bundle = _bundle(language)
            if bundle.has_message(key):
                text, errors = bundle.format_pattern(bundle.get_message(key).value, safe)
                if errors:
                    log.warning("message %s/%s: %s", language, key, errors)
                return str(text)
        log.error("no message %r in any language", key)
        return key


def language_of(user: User | None) -> str:
    """The user's Telegram language ("ru-RU" -> "ru"), if we speak it; else English."""
    code = (user.language_code or "").split("-")[0].lower() if user else ""
    return code if code in LANGUAGES else DEFAULT


def translator_for(user: User | None) -> Translator:
    return Translator(language_of(user))
