"""The HTTP contract: request fields and response bodies. docs/http-contract.md describes it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class JobPublic(BaseModel):
    """A job as callers see it."""

    id: str = Field(description="Unguessable job id")
    status: JobStatus
    method: str = Field(description="gatys, feedforward, gan, adain or transformer")
    kind: str = Field(
        "image", description="image, or clip: a video or GIF animation, painted frame by frame"
    )
    progress: float = Field(ge=0, le=1, description="Fraction of the work done")
    step: int = Field(ge=0, description="Optimiser steps done; of a clip, frames painted")
    total_steps: int = Field(
        ge=0,
        description="Optimiser steps in the whole job; of a clip, its frames (from its "
        "header: an estimate until the last one)",
    )
    queue_position: int | None = Field(
        description="Jobs that run before this one, a running one included (0: this one is "
        "running); null once finished"
    )
    eta_seconds: float | None = Field(description="Estimated seconds until done; null if unknown")
    error: str | None = Field(description="Why the job failed, for people")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result_url: str | None = Field(description="Where the image or clip is, once succeeded")
    preview_url: str = Field(description="Where the latest intermediate image is")


class StylePublic(BaseModel):
    """A preset painting."""

    id: str
    title: str
    artist: str
    year: str
    licence: str
    methods: list[str] = Field(description="Methods that can use this preset")
    clip_methods: list[str] = Field(
        description="Methods that can paint a clip (a video or GIF) with this preset"
    )
    image_url: str = Field(description="Thumbnail of the painting")


class MethodPublic(BaseModel):
    """A method the running service serves."""

    id: str = Field(description="The value of the job field `method`")
    one_pass: bool = Field(description="One network pass: seconds, not minutes")
    any_painting: bool = Field(
        description="Takes uploaded style images, not only the presets it learnt"
    )
    clips: bool = Field(description="Paints clips (a video or GIF animation as the content)")
    presets: list[str] = Field(description="Preset ids this method can use")
    options: list[str] = Field(
        description="Job fields this method reads; any other optional field is refused (422)"
    )


class ErrorPublic(BaseModel):
    """Every error answer."""

    detail: str = Field(description="What went wrong, for people")
    errors: list[dict] | None = Field(None, description="Per-field details of a 422")
    error_id: str | None = Field(None, description="Quote it when reporting a server error")


class HealthPublic(BaseModel):
    status: str
    device: str | None = None
    warm_up_seconds: float | None = None
