"""Which job options each method reads: the one table that the service and its docs follow.

Gatys optimises the image under the loss weights for `steps` iterations from a seeded start.
The trained models (feedforward, gan, adain, transformer) run one forward pass of a network whose
losses were fixed in training, so the loss weights, the step count and the seed mean nothing
to them. A request that sets an option its method would ignore is refused, not run without it.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.params import METHODS, ONE_PASS_METHODS, Method

APPLIES_TO: dict[str, tuple[Method, ...]] = {
    "size": METHODS,
    "quality": METHODS,  # trained models take only its output size
    "strength": METHODS,  # trained models: blends the photo with the network's output
    "preserve_color": METHODS,
    "format": METHODS,
    # Clips only, and only the one-pass methods paint clips (Gatys takes minutes a frame).
    "temporal": ONE_PASS_METHODS,
    # Per-painting networks take no style images; adain and the transformer blend several.
    "style_blend": ("gatys", "adain", "transformer"),
    # The painting's size against the output's: the scale of its strokes.
    "style_scale": ("gatys", "adain", "transformer"),
    "content_weight": ("gatys",),
    "style_weight": ("gatys",),
    "tv_weight": ("gatys",),
    "steps": ("gatys",),
    "seed": ("gatys",),
    "init": ("gatys",),
}


class NotApplicable(ValueError):  # noqa: N818 - reads as the condition it reports
    """Options were set that the job's method does not use."""


def applies(option: str, method: str) -> bool:
    """Whether `method` reads `option`; KeyError for an option the table does not know."""
    return method in APPLIES_TO[option]


def check_options(method: str, options: Iterable[str]) -> None:
    """Raise NotApplicable naming every option in `options` that `method` ignores."""
    given = set(options)
    ignored = [o for o in APPLIES_TO if o in given and not applies(o, method)]
    if ignored:
        raise NotApplicable(
            "; ".join(
                f"{o}: does not apply to method {method} (only to {', '.join(APPLIES_TO[o])})"
                for o in ignored
            )
        )


def applies_note(option: str) -> str:
    """One sentence for docs and OpenAPI: the methods that read `option`."""
    methods = APPLIES_TO[option]
    if methods == METHODS:
        return "Applies to every method."
    names = ", ".join(methods[:-1]) + " and " + methods[-1] if len(methods) > 1 else methods[0]
    return f"Applies to {names} only."


__all__ = ["APPLIES_TO", "NotApplicable", "applies", "applies_note", "check_options"]
