"""The multipart job form: fields (documented in OpenAPI), limits, decoding into a JobInput."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import File, Form, HTTPException, Request, UploadFile
from PIL import Image

from api.clips import is_clip, spool_clip
from api.jobs import JobInput
from api.settings import Settings
from core.clips.video import CLIP_KINDS
from core.images import OUTPUT_FORMATS, DecodeLimits, ImageTooLarge, decode_image
from core.options import APPLIES_TO, applies_note, check_options
from core.params import (
    BOUNDS,
    ONE_PASS_METHODS,
    QUALITY_PRESETS,
    ClipParams,
    StyleParams,
    default_of,
)
from core.presets import get_preset, load_preset_image

_decoder = ThreadPoolExecutor(max_workers=2, thread_name_prefix="decode")


def _num(name: str, description: str):
    b = BOUNDS[name]
    return Form(
        ge=b.low,
        le=b.high,
        allow_inf_nan=False,
        description=f"{description} Default {default_of(name)}. {applies_note(name)}",
    )


@dataclass
class JobForm:
    """The fields of POST /stylize and POST /jobs, before files are read."""

    content: UploadFile
    style: list[UploadFile]
    preset: str | None
    method: str
    quality: str
    content_weight: float | None
    style_weight: float | None
    tv_weight: float | None
    strength: float | None
    style_blend: list[str] | None
    steps: int | None
    size: int | None
    preserve_color: str
    seed: int | None
    init: str
    format: str
    temporal: float | None = None
    sent: frozenset[str] = frozenset()  # the fields the request gave, defaults aside


_QUALITY_HELP = (
    ", ".join(f"{q}: {p.size} px, {p.total_steps} steps" for q, p in QUALITY_PRESETS.items())
    + ". Trained models take only its size. "
    + applies_note("quality")
)


# Fields that may be repeated; any other given twice is refused rather than guessed at.
REPEATABLE_FIELDS = frozenset({"style", "style_blend"})


async def job_form(
    request: Request,
    content: Annotated[
        UploadFile,
        File(
            description="The photo (JPEG, PNG, WebP, BMP, TIFF, HEIC), or a clip (MP4, MOV, "
            "WebM, GIF animation...): told apart by content. A clip is painted frame by frame "
            "by a one-pass method (the fastest one for the painting when `method` is not "
            "given), its sound kept."
        ),
    ],
    style: Annotated[
        list[UploadFile] | None,
        File(
            description="Style image(s); repeat the field for several. Taken by gatys, adain "
            "and transformer; feedforward and gan paint only the presets they learnt."
        ),
    ] = None,
    preset: Annotated[
        str | None, Form(description="A preset painting id from GET /styles.")
    ] = None,
    method: Annotated[
        Literal["gatys", "feedforward", "gan", "adain", "transformer"],
        Form(
            description="Model family. A field that the method does not use is refused "
            "(422); each field's description says which methods use it."
        ),
    ] = "gatys",
    quality: Annotated[
        Literal["fast", "balanced", "best"], Form(description=_QUALITY_HELP)
    ] = "balanced",
    content_weight: Annotated[
        float | None, _num("content_weight", "Weight of the content loss.")
    ] = None,
    style_weight: Annotated[float | None, _num("style_weight", "Weight of the style loss.")] = None,
    tv_weight: Annotated[float | None, _num("tv_weight", "Weight of the smoothness loss.")] = None,
    strength: Annotated[
        float | None,
        _num(
            "strength",
            "Multiplies the style weight; feedforward and gan move the photo that far towards "
            "their output; adain and transformer move the photo's features that far towards "
            "the painting's statistics.",
        ),
    ] = None,
    style_blend: Annotated[
        list[str] | None,
        Form(
            description="One weight per style image: repeat the field or separate by commas. "
            + applies_note("style_blend")
        ),
    ] = None,
    steps: Annotated[
        int | None,
        Form(
            ge=1,
            le=int(BOUNDS["steps"].high),
            description="Total optimiser iterations. " + applies_note("steps"),
        ),
    ] = None,
    size: Annotated[
        int | None,
        Form(
            ge=int(BOUNDS["size"].low),
            le=int(BOUNDS["size"].high),
            description="Long side of the output in px. " + applies_note("size"),
        ),
    ] = None,
    preserve_color: Annotated[
        Literal["none", "luminance", "histogram"],
        Form(description="Keep the photo's colours. " + applies_note("preserve_color")),
    ] = "none",
    seed: Annotated[
        int | None,
        Form(
            ge=0,
            le=2**32 - 1,
            description="Draws the noise of init=noise; with any other start it would change "
            "nothing, so it is refused there (422). " + applies_note("seed"),
        ),
    ] = None,
    init: Annotated[
        Literal["content", "palette", "noise", "preview"],
        Form(
            description="Where the optimisation starts: palette (the photo recoloured to the "
            "painting's colour mean and covariance; with preserve_color the photo itself), "
            "content (the photo), noise (the photo half mixed with noise drawn from seed), or "
            "preview (the preset's trained model's output, refined on the final scale alone "
            "with fewer steps; needs a preset with a trained model, see GET /styles). Default "
            f"{default_of('init')}. " + applies_note("init")
        ),
    ] = default_of("init"),  # type: ignore[assignment]
    format: Annotated[
        Literal["png", "jpeg", "webp", "mp4", "gif"],
        Form(
            description="Output encoding: png, jpeg or webp for a photo (default png), mp4 "
            "(H.264) or gif for a clip (default: a GIF for a GIF, else MP4). "
            + applies_note("format")
        ),
    ] = "png",
    temporal: Annotated[
        float | None,
        Form(
            ge=0,
            le=1,
            allow_inf_nan=False,
            description="Clips only: steadiness. Each painted frame is carried along the "
            "motion for about 1 + 5 x temporal frames before a newer one takes over (0: frame "
            f"by frame, which flickers). Default {ClipParams.temporal}. "
            + applies_note("temporal"),
        ),
    ] = None,
) -> JobForm:
    items = (await request.form()).multi_items()  # parsed once, cached on the request
    counts = Counter(name for name, _ in items)
    sent = frozenset(name for name, value in items if value != "")  # "" reads as not given
    repeated = sorted({n for n, count in counts.items() if count > 1} - REPEATABLE_FIELDS)
    if repeated:
        raise HTTPException(422, f"{', '.join(repeated)}: given more than once")
    return JobForm(
        content,
        style or [],
        preset,
        method,
        quality,
        content_weight,
        style_weight,
        tv_weight,
        strength,
        style_blend,
        steps,
        size,
        preserve_color,
        seed,
        init,
        format,
        temporal,
        sent,
    )


def require_multipart(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(415, "send the job as multipart/form-data")


def _blend(values: list[str] | None) -> tuple[float, ...] | None:
    if not values:
        return None
    weights = []
    for part in ",".join(values).split(","):
        try:
            w = float(part)
        except ValueError:
            raise HTTPException(422, f"style_blend: not a number: {part.strip()!r}") from None
        if not math.isfinite(w):
            raise HTTPException(422, "style_blend: weights must be finite numbers")
        weights.append(w)
    return tuple(weights)


def build_params(form: JobForm, settings: Settings, n_styles: int) -> StyleParams:
    try:
        check_options(form.method, form.sent & APPLIES_TO.keys())
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if "seed" in form.sent and form.init != "noise":
        raise HTTPException(422, "seed: applies only with init=noise")
    if form.steps is not None and form.steps > settings.max_steps:
        raise HTTPException(422, f"steps: at most {settings.max_steps} allowed")
    if form.size is not None and form.size > settings.max_size:
        raise HTTPException(422, f"size: at most {settings.max_size} px allowed")
    blend = _blend(form.style_blend)
    if blend is not None and len(blend) != n_styles:
        raise HTTPException(422, f"style_blend: {len(blend)} weights for {n_styles} style images")
    given = {
        k: getattr(form, k)
        for k in (
            "content_weight",
            "style_weight",
            "tv_weight",
            "strength",
            "steps",
            "size",
            "seed",
        )
        if getattr(form, k) is not None
    }
    try:
        params = StyleParams(
            method=form.method,
            quality=form.quality,  # type: ignore[arg-type]
            preserve_color=form.preserve_color,  # type: ignore[arg-type]
            style_blend=blend,
            init=form.init,  # type: ignore[arg-type]
            preset=form.preset,
            preview_every=settings.preview_every,
            **given,
        )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    # A quality preset beyond this service's limits is scaled down to them (explicit values
    # over the limits were refused above).
    if form.size is None and params.output_size > settings.max_size:
        params = params.with_changes(size=settings.max_size)
    if form.steps is None and params.total_steps > settings.max_steps:
        params = params.with_changes(steps=settings.max_steps)
    return params


async def read_upload(upload: UploadFile, settings: Settings, name: str) -> bytes:
    # Starlette has already spooled the part to disk; read it back only if within the limit.
    if upload.size is not None and upload.size > settings.max_upload_bytes:
        raise HTTPException(413, f"{name} is larger than {settings.max_upload_bytes:,} bytes")
    data = await upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"{name} is larger than {settings.max_upload_bytes:,} bytes")
    return data


async def _decode(data: bytes, settings: Settings, name: str) -> Image.Image:
    limits = DecodeLimits(max_pixels=settings.max_image_pixels)
    loop = asyncio.get_running_loop()
    # Decoding a large photo takes a while: off the event loop, not on Starlette's pool.
    return await loop.run_in_executor(_decoder, lambda: decode_image(data, limits, name=name))


ClipMethod = Callable[[str | None], str | None]


def _check_clip_form(form: JobForm, clip: bool, clip_method: ClipMethod | None) -> None:
    """What a clip changes in the form: a one-pass method (chosen when not given), a clip
    format; and what a photo refuses: the clip-only fields."""
    if not clip:
        if "temporal" in form.sent:
            raise HTTPException(422, "temporal: applies only to clips (a video or GIF as content)")
        if form.format in CLIP_KINDS:
            raise HTTPException(
                422,
                f"format: {form.format} is for clips; the content is a photo ("
                f"{', '.join(OUTPUT_FORMATS)})",
            )
        return
    if "format" in form.sent and form.format not in CLIP_KINDS:
        raise HTTPException(
            422, f"format: the content is a clip, written as {' or '.join(CLIP_KINDS)}"
        )
    if "method" not in form.sent:
        chosen = clip_method(form.preset) if clip_method else None
        if chosen is None:
            raise HTTPException(
                422,
                "method: no one-pass model is served for this painting; a clip needs "
                f"one of {', '.join(ONE_PASS_METHODS)}",
            )
        form.method = chosen
    elif form.method not in ONE_PASS_METHODS:
        raise HTTPException(
            422,
            f"method: {form.method} optimises every picture for a minute or more, too "
            f"slow for a clip; use a one-pass method: {', '.join(ONE_PASS_METHODS)}",
        )


async def build_job(
    form: JobForm,
    settings: Settings,
    owner: str,
    scratch: Path | None = None,
    clip_method: ClipMethod | None = None,
) -> JobInput:
    """Check, read and decode everything a job needs; raise 4xx on the first problem.

    A clip as content is copied to `scratch` (none: clips are refused) and checked there;
    `clip_method` names the one-pass method for a clip that asks for none.
    """
    if form.preset and form.style:
        raise HTTPException(422, "give either style files or a preset, not both")
    if not form.preset and not form.style:
        raise HTTPException(422, "style: a style image or a preset is needed")
    if len(form.style) > settings.max_styles:
        raise HTTPException(422, f"style: at most {settings.max_styles} style images allowed")
    if form.preset:
        try:
            get_preset(form.preset)
        except ValueError as exc:
            raise HTTPException(422, f"preset: {exc}") from None
    clip = await is_clip(form.content)
    if clip and scratch is None:
        raise HTTPException(415, "content: this service takes photos only, not clips")
    _check_clip_form(form, clip, clip_method)
    params = build_params(form, settings, n_styles=max(1, len(form.style)))
    if not clip:
        content = await _decode(
            await read_upload(form.content, settings, "content"), settings, "content"
        )
    styles = []
    for i, upload in enumerate(form.style):
        name = f"style #{i + 1}" if len(form.style) > 1 else "style"
        styles.append(await _decode(await read_upload(upload, settings, name), settings, name))
    if form.preset:
        styles = [load_preset_image(form.preset)]
    if not clip:
        return JobInput(content, styles, params, format=form.format, owner=owner)
    # The clip last: once it is on disk nothing else can fail before the job owns it.
    temporal = ClipParams.temporal if form.temporal is None else form.temporal
    source, first = await spool_clip(form.content, settings, scratch, temporal)  # type: ignore[arg-type]
    fmt = form.format if "format" in form.sent else source.kind
    return JobInput(first, styles, params, format=fmt, owner=owner, clip=source)


__all__ = ["ImageTooLarge", "JobForm", "build_job", "job_form", "require_multipart"]
