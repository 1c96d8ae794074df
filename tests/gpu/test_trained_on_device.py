"""Each trained family shipped in core/checkpoints on the device, against its CPU output."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core.engine import SHIPPED_CHECKPOINTS, Engine
from core.gatys import GatysStylizer
from core.models import FAST_METHODS, INVERTER
from core.models.checkpoint import load
from core.params import StyleParams
from core.presets import get_preset
from tests.gpu.conftest import stylizer_on

pytestmark = pytest.mark.gpu

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


@pytest.fixture(scope="module")
def shipped() -> dict[str, tuple[str, str]]:
    """Each family's first shipped checkpoint and the first painting it learnt (the
    decoders of the arbitrary-style passes are not a family: see `engines`)."""
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(SHIPPED_CHECKPOINTS.glob("*.pt")):
        checkpoint = load(path)
        if checkpoint.method != INVERTER:
            found.setdefault(checkpoint.method, (str(path), checkpoint.styles[0]))
    return found


@pytest.fixture(scope="module")
def engines(vgg, device, shipped) -> dict[str, Engine]:
    """The reference on the CPU in fp32, and the device in each precision."""
    made = {"cpu": Engine(GatysStylizer(vgg, "cpu"))}
    for name, dtype in PRECISIONS.items():
        made[name] = Engine(stylizer_on(vgg, device, dtype))
    for engine in made.values():
        for path, _ in shipped.values():
            engine.add_checkpoint(path)
        for path in sorted(SHIPPED_CHECKPOINTS.glob("inverter_*.pt")):
            engine.add_checkpoint(path)  # adain's and the transformer's passes, as served
    return made


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("method", FAST_METHODS)
def test_a_trained_family_on_the_device_matches_the_cpu(
    engines, shipped, method, precision, scale, photo
):
    if method not in shipped:
        pytest.fail(f"no {method} checkpoint in {SHIPPED_CHECKPOINTS}")
    style = shipped[method][1]
    painting = Image.open(get_preset(style).path).convert("RGB")
    params = StyleParams(method=method, preset=style, size=scale.side)
    reference = engines["cpu"].stylize(photo, [painting], params).image
    image = engines[precision].stylize(photo, [painting], params).image
    assert image.size == reference.size and max(image.size) == scale.side
    a = np.asarray(image, dtype=np.float32) / 255.0
    b = np.asarray(reference, dtype=np.float32) / 255.0
    diff = float(np.abs(a - b).mean())
    assert diff < scale.trained_pixels[precision], f"{method} {precision}: {diff:.4f} from CPU"
