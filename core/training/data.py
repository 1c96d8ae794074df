"""Photos for training: any folder tree of images, randomly cropped, flipped and recoloured."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision.transforms import v2

from core.images import DecodeLimits, ImageError, decode_image

log = logging.getLogger("core.training")

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
# Training data is the user's own folder, but a corrupt or gigantic file must still only
# cost a warning: the same safe decoder as the service, with a generous pixel limit.
LIMITS = DecodeLimits(max_pixels=80_000_000)


def find_images(root: str | Path) -> list[Path]:
    """Every file under `root` (recursively) whose suffix names an image format, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(
            f"{root}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    return files


def load_rgb(path: Path) -> Image.Image | None:
    """The image at `path`, or None (with a warning) if it cannot be used."""
    try:
        return decode_image(path.read_bytes(), LIMITS)
    except (OSError, ImageError) as exc:
        log.warning("skipping %s: %s", path, exc)
        return None


class ImageCrops(Dataset):
    """Random `size` x `size` crops of a list of image files, as (3, size, size) 0..1.

    Unreadable files are found once, warned about and left out. Augmentation: a random
    resized crop (`scale`: the fraction of the picture's area it covers), horizontal flips
    and colour jitter, so a small collection yields many different training images.
    """

    def __init__(
        self,
        files: list[Path],
        size: int,
        jitter: float = 0.2,
        scale: tuple[float, float] = (0.25, 1.0),
        what: str = "images",
    ) -> None:
        self.size = size
        self.images: list[Image.Image] = []
        self.files: list[Path] = []
        for path in files:
            img = load_rgb(path)
            if img is not None:
                # Kept in memory at a bounded size: crops need no more than ~2x the output.
                img.thumbnail((4 * size, 4 * size), Image.Resampling.LANCZOS)
                self.images.append(img)
                self.files.append(path)
        if not self.images:
            raise ValueError(f"none of the {what} could be read")
        self.transform = v2.Compose(
            [
                v2.RandomResizedCrop(size, scale=scale, antialias=True),
                v2.RandomHorizontalFlip(),
                v2.ColorJitter(jitter, jitter, jitter, jitter / 10),
                v2.ToImage(),
                v2.ToDtype(torch.float32, scale=True),
            ]
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.transform(self.images[index % len(self.images)])

    def batch(self, n: int, rng: random.Random) -> torch.Tensor:
        """`n` random crops of random pictures, (n, 3, size, size)."""
        return torch.stack([self[rng.randrange(len(self.images))] for _ in range(n)])


class PhotoDataset(ImageCrops):
    """Crops of the photos under a folder (recursively): a quarter to all of each photo,
    flipped, with mild colour jitter."""

    def __init__(self, root: str | Path, size: int, jitter: float = 0.2) -> None:
        super().__init__(find_images(root), size, jitter, what=f"images under {root}")


# Paintings for the arbitrary-style models: crops from a twelfth to all of a painting (the
# strokes at several scales) and only a little colour jitter (its palette is its style).
PAINTING_SCALE = (0.08, 1.0)
PAINTING_JITTER = 0.05


def painting_files(folders: list[Path], files: list[Path]) -> list[Path]:
    """The paintings under `folders` and the `files` given one by one, without repeats."""
    found = [p for folder in folders for p in find_images(folder)] + list(files)
    return list(dict.fromkeys(p.resolve() for p in found))


def style_crops(image: Image.Image, size: int, n: int) -> torch.Tensor:
    """`n` random `size` crops of a painting at the training scale: long side 2 x `size`.

    The scale is relative to the canvas, as everywhere else (Gatys' style target, the
    metrics, the transformer's input): the painting's long side matches the long side of the
    picture being painted, and a training crop is about half of such a picture. A small
    painting is therefore enlarged, not used at its pixel size: a 256 px painting seen as it
    is would teach strokes half as large as the ones the same painting asks of a 512 px
    output.
    """
    # A very long, thin painting is enlarged further, so that its short side holds a crop.
    scale = max(2 * size / max(image.size), size / min(image.size))
    scaled = image.resize(
        (max(size, round(image.width * scale)), max(size, round(image.height * scale))),
        Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.LANCZOS,
    )
    crop = v2.Compose(
        [
            v2.RandomCrop(size),
            v2.RandomHorizontalFlip(),
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
        ]
    )
    return torch.stack([crop(scaled) for _ in range(n)])
