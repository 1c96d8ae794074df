"""The preset gallery."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import ClientDep
from api.schemas import ErrorPublic, StylePublic
from core.images import encode_image
from core.params import ONE_PASS_METHODS
from core.presets import PRESETS, get_preset, thumbnail

router = APIRouter(prefix="/styles", tags=["styles"])


@lru_cache(maxsize=len(PRESETS))
def _thumbnail_jpeg(preset_id: str) -> bytes:
    return encode_image(thumbnail(preset_id, 320), "jpeg", quality=85)


@router.get("", operation_id="list_styles", response_model=list[StylePublic])
async def list_styles(request: Request, _client: ClientDep) -> list[StylePublic]:
    """The preset paintings, the methods each supports, and those that paint clips with it."""
    methods_for = request.app.state.methods_for
    styles = []
    for p in PRESETS:
        methods = methods_for(p.id)
        styles.append(
            StylePublic(
                id=p.id,
                title=p.title,
                artist=p.artist,
                year=p.year,
                licence=p.licence,
                methods=methods,
                clip_methods=[m for m in methods if m in ONE_PASS_METHODS],
                image_url=f"/styles/{p.id}/image",
            )
        )
    return styles


@router.get(
    "/{style_id}/image",
    operation_id="style_image",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorPublic}},
)
async def style_image(style_id: str, _client: ClientDep) -> Response:
    """A JPEG thumbnail of a preset painting."""
    try:
        get_preset(style_id)
    except ValueError:
        raise HTTPException(404, f"no preset named {style_id!r}") from None
    return Response(
        _thumbnail_jpeg(style_id),
        media_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=86400"},
    )
