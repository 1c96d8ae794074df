"""The catalogue of preset paintings, usable by id from the CLI, the service and the bot."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from core.images import load_image_file

STYLES_DIR = Path(__file__).parent / "styles"


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    artist: str
    year: str
    licence: str
    filename: str

    @property
    def path(self) -> Path:
        return STYLES_DIR / self.filename


PRESETS: tuple[Preset, ...] = (
    Preset(
        "starry_night",
        "The Starry Night",
        "Vincent van Gogh",
        "1889",
        "Public domain",
        "starry_night.jpg",
    ),
    Preset("the_scream", "The Scream", "Edvard Munch", "1893", "Public domain", "the_scream.jpg"),
    Preset(
        "shipwreck",
        "The Shipwreck of the Minotaur",
        "J. M. W. Turner",
        "c. 1810",
        "Public domain",
        "shipwreck.jpg",
    ),
    Preset(
        "woman_with_hat",
        "Woman with a Hat",
        "Henri Matisse",
        "1905",
        "Public domain in the US (published 1905)",
        "woman_with_hat.jpg",
    ),
    Preset(
        "malevich_sportsmen",
        "Sportsmen",
        "Kazimir Malevich",
        "c. 1930",
        "Public domain",
        "malevich_sportsmen.jpg",
    ),
    Preset(
        "fishing_boats",
        "Fishing Boats",
        "Claude Monet",
        "1885",
        "Public domain",
        "fishing_boats.jpg",
    ),
    Preset(
        "dress", "Edith Schiele, Seated", "Egon Schiele", "1917-18", "Public domain", "dress.jpg"
    ),
    Preset(
        "zigzags",
        "Zigzags (abstract composition)",
        "attributed to Wassily Kandinsky",
        "before 1944",
        "Public domain",
        "zigzags.jpg",
    ),
)

_BY_ID = {p.id: p for p in PRESETS}


def get_preset(preset_id: str) -> Preset:
    """The preset with this id, or a ValueError that lists the known ids."""
    try:
        return _BY_ID[preset_id]
    except KeyError:
        known = ", ".join(_BY_ID)
        raise ValueError(f"unknown preset {preset_id!r}; known presets: {known}") from None


@lru_cache(maxsize=len(PRESETS))
def load_preset_image(preset_id: str) -> Image.Image:
    """The preset's painting as RGB (cached: presets are read once per process)."""
    return load_image_file(str(get_preset(preset_id).path))


def thumbnail(preset_id: str, long_side: int = 256) -> Image.Image:
    img = load_preset_image(preset_id).copy()
    img.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return img
