"""Bot settings, from the environment (and an optional .env file)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    telegram_bot_token: SecretStr
    """TELEGRAM_BOT_TOKEN: the token from @BotFather (required)."""
    stylize_api_url: str = "http://127.0.0.1:8000"
    """STYLIZE_API_URL: base URL of the stylize service."""
    api_key: SecretStr | None = None
    """API_KEY: sent as `Authorization: Bearer` to the service when set."""
    telegram_api_base: str | None = None
    """TELEGRAM_API_BASE: a custom Bot API server (e.g. a local one), instead of Telegram's."""
    redis_url: str | None = None
    """REDIS_URL: keep conversation state and settings in Redis instead of memory."""
    bot_jobs_per_hour: int = Field(20, ge=1)
    """BOT_JOBS_PER_HOUR: stylizations one user may start per hour."""
    bot_edit_interval_s: float = Field(2.0, ge=0)
    """BOT_EDIT_INTERVAL_S: least time between two edits of a progress message."""
    bot_max_file_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    """BOT_MAX_FILE_BYTES: largest image accepted (the Bot API's download limit is 20 MB)."""
    bot_result_ttl_s: float = Field(3600, gt=0)
    """BOT_RESULT_TTL_S: how long the Again/Stronger/Weaker buttons keep the user's images."""
    bot_webhook_url: str | None = None
    """BOT_WEBHOOK_URL: receive updates by webhook at this public URL instead of long polling."""
    bot_webhook_secret: SecretStr | None = None
    """BOT_WEBHOOK_SECRET: the secret-token header Telegram must send with webhook calls."""
    bot_webhook_host: str = "0.0.0.0"
    """BOT_WEBHOOK_HOST: address the webhook server listens on."""
    bot_webhook_port: int = Field(8081, ge=1, le=65535)
    """BOT_WEBHOOK_PORT: port the webhook server listens on."""
