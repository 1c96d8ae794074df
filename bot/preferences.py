"""Per-user options, kept in the FSM storage (memory or Redis) so they survive state changes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from aiogram.fsm.storage.base import BaseStorage, StorageKey

from bot.api_client import JobOptions

STRENGTHS = {"light": 0.4, "medium": 1.0, "strong": 2.0}  # docs/engine.md: the sweep
QUALITIES = ("fast", "balanced", "best")
COLOURS = {"style": "none", "keep": "luminance"}
MIN_STRENGTH, MAX_STRENGTH = 0.05, 10.0


@dataclass(frozen=True)
class Preferences:
    strength: str = "medium"
    quality: str = "balanced"
    colour: str = "style"

    def with_choice(self, key: str, value: str) -> Preferences:
        allowed = {"strength": STRENGTHS, "quality": QUALITIES, "colour": COLOURS}.get(key, ())
        if value not in allowed:
            return self
        return replace(self, **{key: value})

    def options(
        self, method: str = "gatys", strength_factor: float = 1.0, init: str | None = None
    ) -> JobOptions:
        # Stronger/Weaker multiply; the contract allows 0..10, and 0 would mean no style at all.
        strength = min(MAX_STRENGTH, max(MIN_STRENGTH, STRENGTHS[self.strength] * strength_factor))
        return JobOptions(
            strength=strength,
            quality=self.quality,
            preserve_color=COLOURS[self.colour],
            method=method,
            init=init,
        )


def _key(bot_id: int, user_id: int) -> StorageKey:
    # A key of its own (not the chat's FSM key), so clearing the conversation keeps settings.
    return StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id, destiny="preferences")


async def load(storage: BaseStorage, bot_id: int, user_id: int) -> Preferences:
    data = await storage.get_data(_key(bot_id, user_id))
    try:
        return Preferences(**data) if data else Preferences()
    except TypeError:
        return Preferences()


async def save(storage: BaseStorage, bot_id: int, user_id: int, prefs: Preferences) -> None:
    await storage.set_data(_key(bot_id, user_id), asdict(prefs))
