"""Bot settings, from the environment (and an optional .env file)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_OPTIONAL = (
    "api_key",
    "telegram_api_base",
    "redis_url",
    "bot_webhook_url",
    "bot_webhook_secret",
)


class BotSettings(BaseSettings):
    # Attribute docstrings become field descriptions, so each variable documents itself.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", use_attribute_docstrings=True
    )

    telegram_bot_token: SecretStr
    """TELEGRAM_BOT_TOKEN: the token from @BotFather (required)."""
    stylize_api_url: str = "http://127.0.0.1:8000"
    """STYLIZE_API_URL: base URL of the stylize service."""
    api_key: SecretStr | None = None
    """API_KEY: sent to the service as `Authorization: Bearer` when set."""
    telegram_api_base: str | None = None
    """TELEGRAM_API_BASE: a custom Bot API server (a local one, or a fake in tests)."""
    redis_url: str | None = None
    """REDIS_URL: keep conversation state and settings in Redis instead of memory."""
    bot_jobs_per_hour: int = Field(20, ge=1)
    """BOT_JOBS_PER_HOUR: stylizations one user may start per hour (one at a time)."""
    bot_edit_interval_s: float = Field(2.0, ge=0)
    """BOT_EDIT_INTERVAL_S: least time between two edits of a progress message."""
    bot_max_file_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    """BOT_MAX_FILE_BYTES: largest image accepted (the Bot API's download limit is 20 MB)."""
    bot_keep_s: float = Field(3600.0, gt=0)
    """BOT_KEEP_S: how long a user's images (Telegram file ids) stay in memory for the
    Again/Stronger/Weaker buttons and a pending style choice."""
    bot_album_wait_s: float = Field(1.0, gt=0)
    """BOT_ALBUM_WAIT_S: quiet time after which an album's images are taken as complete."""
    bot_webhook_url: str | None = None
    """BOT_WEBHOOK_URL: receive updates by webhook at this public URL instead of long polling."""
    bot_webhook_secret: SecretStr | None = None
    """BOT_WEBHOOK_SECRET: the secret-token header Telegram must send with webhook calls."""
    bot_webhook_host: str = "0.0.0.0"
    """BOT_WEBHOOK_HOST: address the webhook server listens on."""
    bot_webhook_port: int = Field(8081, ge=1, le=65535)
    """BOT_WEBHOOK_PORT: port the webhook server listens on."""

    @field_validator(*_OPTIONAL, mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # Compose passes `${VAR:-}` as an empty string: treat it as not set.
        return None if value == "" else value

    @field_validator("bot_webhook_secret")
    @classmethod
    def _telegram_secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("bot_webhook_url", "telegram_api_base", "stylize_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and urlparse(value).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @property
    def webhook_path(self) -> str:
        """The local path the webhook server answers on: the public URL's own path."""
        return urlparse(self.bot_webhook_url or "").path or "/"

    def secrets(self) -> list[str]:
        """Strings that must never reach a log line."""
        token = self.telegram_bot_token.get_secret_value()
        values = [token, token.partition(":")[2]]  # the part after the bot id is the secret
        values += [s.get_secret_value() for s in (self.api_key, self.bot_webhook_secret) if s]
        return [v for v in values if v]
