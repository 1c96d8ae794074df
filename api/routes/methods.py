"""The methods the running engine serves, and what each takes."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import ClientDep
from api.schemas import MethodPublic
from core.options import APPLIES_TO, applies
from core.params import ANY_PAINTING_METHODS, METHODS, ONE_PASS_METHODS
from core.presets import PRESETS

router = APIRouter(prefix="/methods", tags=["methods"])


def served_methods(methods_for, fast_models: dict[str, list[str]]) -> list[str]:
    """Gatys always; a trained method once a checkpoint for it is loaded."""
    offered = {m for p in PRESETS for m in methods_for(p.id)} | set(fast_models) | {"gatys"}
    return [m for m in METHODS if m in offered]


@router.get("", operation_id="list_methods", response_model=list[MethodPublic])
async def list_methods(request: Request, _client: ClientDep) -> list[MethodPublic]:
    """The methods this service runs: one-pass or not, any painting or presets only, options."""
    state = request.app.state
    by_preset = {p.id: state.methods_for(p.id) for p in PRESETS}
    return [
        MethodPublic(
            id=method,
            one_pass=method in ONE_PASS_METHODS,
            clips=method in ONE_PASS_METHODS,  # Gatys would take minutes a frame
            any_painting=method in ANY_PAINTING_METHODS,
            presets=[p for p, methods in by_preset.items() if method in methods],
            options=[o for o in APPLIES_TO if applies(o, method)],
        )
        for method in served_methods(state.methods_for, state.fast_models)
    ]
