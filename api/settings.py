"""Service settings, read from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", validate_assignment=True)

    host: str = "127.0.0.1"
    """HOST: address the server listens on."""
    port: int = Field(8000, ge=1, le=65535)
    """PORT: TCP port the server listens on."""
    api_key: SecretStr | None = None
    """API_KEY: when set, every endpoint but /healthz and /readyz needs
    `Authorization: Bearer <key>`. Several keys may be given, separated by commas: each is
    then a separate client whose jobs the others cannot see."""
    device: str = "auto"
    """DEVICE: auto, cpu, cuda or mps: where the engine runs."""
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    """MAX_UPLOAD_BYTES: largest accepted file, per uploaded image (413 above)."""
    upload_idle_timeout_s: float = Field(30, ge=0)
    """UPLOAD_IDLE_TIMEOUT_S: an upload that sends nothing for this long is refused with 408
    and its connection closed (0 = wait for ever)."""
    max_image_pixels: int = Field(40_000_000, ge=1024)
    """MAX_IMAGE_PIXELS: largest accepted image in pixels, checked before decoding (413 above)."""
    max_clip_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    """MAX_CLIP_BYTES: largest accepted clip (a video or GIF animation as the content; 413
    above)."""
    max_clip_seconds: float = Field(60, gt=0)
    """MAX_CLIP_SECONDS: longest accepted clip, from its header and again while decoding (413
    above)."""
    max_clip_frames: int = Field(1800, ge=1)
    """MAX_CLIP_FRAMES: most frames in an accepted clip (413 above)."""
    max_clip_pixels: int = Field(3840 * 2160, ge=1024)
    """MAX_CLIP_PIXELS: largest accepted clip frame in pixels, from the header (413 above)."""
    clip_dir: str | None = None
    """CLIP_DIR: where uploaded clips wait for the worker, and painted ones are written,
    until their job ends. Unset: a private folder in the system's temporary directory, removed
    at shutdown."""
    max_styles: int = Field(4, ge=1, le=16)
    """MAX_STYLES: most style images in one job."""
    max_steps: int = Field(1000, ge=1)
    """MAX_STEPS: most optimiser iterations a job may ask for."""
    max_size: int = Field(1024, ge=32)
    """MAX_SIZE: largest output long side in px a job may ask for."""
    batch_max: int | None = Field(None, ge=1, le=64)
    """BATCH_MAX: most waiting jobs of the same size and settings optimised together as one
    batch. Unset: 8 on a CUDA GPU, 1 elsewhere (a CPU gains nothing from batches:
    docs/performance.md)."""
    queue_size: int = Field(16, ge=1)
    """QUEUE_SIZE: jobs waiting beyond the running one; more get 503 with Retry-After."""
    result_ttl_s: float = Field(600, gt=0)
    """RESULT_TTL_S: seconds a finished job's result is kept before it is deleted."""
    max_finished_jobs: int = Field(256, ge=1)
    """MAX_FINISHED_JOBS: finished jobs remembered at most (oldest are dropped first)."""
    sync_timeout_s: float = Field(60, ge=0)
    """SYNC_TIMEOUT_S: POST /stylize waits this long for the image, then answers 202."""
    rate_limit_per_minute: int = Field(0, ge=0)
    """RATE_LIMIT_PER_MINUTE: job submissions per minute per client (API key or IP); 0 = off."""
    preview_every: int = Field(10, ge=0)
    """PREVIEW_EVERY: steps between intermediate preview images (0 = no previews)."""
    warm_up: bool = True
    """WARM_UP: run one tiny job at start-up so the first real job pays no one-off costs."""
    redis_url: str | None = None
    """REDIS_URL: when set, jobs go to Redis (SAQ) and `make worker` processes run them; this
    process only enqueues and answers. Unset: one in-process queue and worker, no broker."""
    job_heartbeat_s: int = Field(30, ge=1)
    """JOB_HEARTBEAT_S: Redis mode: a running job whose worker is silent this long is retried
    on another worker (at most twice), then marked failed."""
    web_ui: bool = True
    """WEB_UI: on or off: serve the web page at / (off: / answers 404; the API is the same)."""
    log_level: str = "INFO"
    """LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."""

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if value not in ("auto", "cpu", "cuda", "mps") and not value.startswith("cuda:"):
            raise ValueError("DEVICE must be auto, cpu, cuda, cuda:N or mps")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return value

    def api_keys(self) -> list[str]:
        if self.api_key is None:
            return []
        return [k.strip() for k in self.api_key.get_secret_value().split(",") if k.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
