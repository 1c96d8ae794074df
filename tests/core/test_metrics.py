import pytest
from PIL import Image

from core.metrics import STYLE_LAYERS, distances, style_distance_by_layer
from tests.conftest import ROOT


def _image(path: str, side: int = 96) -> Image.Image:
    image = Image.open(ROOT / path).convert("RGB")
    image.thumbnail((side, side))
    return image


def test_style_distance_is_the_mean_of_its_layers(vgg):
    photo = _image("examples/content/tubingen.jpg")
    painting = _image("core/styles/starry_night.jpg")
    layers = style_distance_by_layer(photo, painting, vgg)
    assert list(layers) == list(STYLE_LAYERS)
    assert all(error > 0.05 for error in layers.values())  # a photo is not the painting
    mean = sum(layers.values()) / len(layers)
    assert distances(photo, photo, painting, vgg)["style"] == pytest.approx(mean, rel=1e-5)
    # The painting against itself: nothing left in any layer.
    assert max(style_distance_by_layer(painting, painting, vgg).values()) < 1e-3
