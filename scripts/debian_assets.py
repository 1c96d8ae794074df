"""Pictures out of Debian packages, shared by the scripts that build the training sets.

Packages are downloaded with `apt-get download` (the version apt would install) and read
with `dpkg-deb`, never installed, so no root is needed. Some pictures are stored inside a
GCompris Qt resource bundle (.rcc) or a Jigzo puzzle file; both are read here. Every
picture is turned upright into sRGB RGB, and a perceptual hash tells when two files hold
the same picture (at another size, compression or in another package).
"""

from __future__ import annotations

import io
import itertools
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

ROOT = Path(__file__).resolve().parent.parent
LONG_SIDE = 1024
QUALITY = 90
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
# Two pictures whose 256-bit difference hashes differ in at most this many bits are taken
# for the same picture. Renditions of one picture differ by under 10; the closest distinct
# pair of training photos differs by 37.
SAME_PICTURE_BITS = 20
SRGB = ImageCms.createProfile("sRGB")


def download(packages: set[str], into: Path) -> dict[str, Path]:
    """Downloads the .deb of each package (the version apt would install) into `into`."""
    result = subprocess.run(
        ["apt-get", "download", *sorted(packages)],
        cwd=into,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"apt-get download failed (try `apt-get update` first):\n{result.stderr}")
    debs = {deb.name.split("_")[0]: deb for deb in into.glob("*.deb")}
    missing = packages - debs.keys()
    if missing:
        sys.exit(f"apt-get download did not fetch: {', '.join(sorted(missing))}")
    return debs


def read_members(deb: Path, paths: set[str]) -> dict[str, bytes]:
    """The contents of the files `paths` in a .deb, streamed out of its data archive."""
    found = {}
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE) as proc:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                path = member.name.removeprefix("./")
                if path in paths and member.isfile():
                    found[path] = archive.extractfile(member).read()
    if proc.returncode != 0:
        sys.exit(f"dpkg-deb could not read {deb.name}")
    missing = paths - found.keys()
    if missing:
        sys.exit(f"{deb.name} has no regular file {', '.join(sorted(missing))}")
    return found


def qt_resources(blob: bytes) -> dict[str, bytes]:
    """Every file in a compiled Qt resource bundle (.rcc), by its path in the bundle.

    The format: a header (magic "qres", version, then the offsets of the tree, data and
    names sections), a tree of fixed-size nodes (directories list a range of child nodes,
    files point into the data section) and length-prefixed UTF-16 names.
    """
    magic, version, tree, data, names = struct.unpack_from(">4sIIII", blob)
    if magic != b"qres":
        raise ValueError("not a Qt resource bundle")
    node_size = 14 if version == 1 else 22  # version 2 on adds a modification time

    def name(offset: int) -> str:
        (length,) = struct.unpack_from(">H", blob, names + offset)
        start = names + offset + 6  # after the length and a hash
        return blob[start : start + 2 * length].decode("utf-16-be")

    out = {}

    def walk(index: int, prefix: str) -> None:
        node = tree + index * node_size
        name_offset, flags = struct.unpack_from(">IH", blob, node)
        path = f"{prefix}/{name(name_offset)}" if index else ""
        if flags & 2:  # a directory
            count, first = struct.unpack_from(">II", blob, node + 6)
            for child in range(first, first + count):
                walk(child, path)
            return
        (offset,) = struct.unpack_from(">I", blob, node + 10)
        (size,) = struct.unpack_from(">I", blob, data + offset)
        content = blob[data + offset + 4 : data + offset + 4 + size]
        if flags & 1:  # zlib, after the uncompressed size
            content = zlib.decompress(content[4:])
        elif flags & 4:  # zstd: not needed, pictures are stored as they are
            return
        out[path.lstrip("/")] = content

    walk(0, "")
    return out


def jigzo_picture(blob: bytes) -> Image.Image:
    """The whole picture of a Jigzo puzzle (.pzl).

    A .pzl holds four header lines, then files, each as a name line, a size line and the
    bytes: a text map, a thumbnail, a mask, and a texture whose top-left corner holds the
    picture (the map's `image x y width height` line) with the cut pieces beside it.
    """
    rest = blob.split(b"\n", 4)[4]
    entries = {}
    while rest:
        name, size, rest = rest.split(b"\n", 2)
        entries[name.decode()] = rest[: int(size)]
        rest = rest[int(size) :]
    text = next(v for k, v in entries.items() if k.endswith(".map")).decode()
    line = next(line for line in text.splitlines() if line.startswith("image "))
    x, y, width, height = map(int, line.split()[1:5])
    texture = next(v for k, v in entries.items() if k.endswith(".jpg") and not k.endswith("-t.jpg"))
    return Image.open(io.BytesIO(texture)).crop((x, y, x + width, y + height))


def to_srgb_rgb(image: Image.Image) -> Image.Image:
    """`image` upright and in RGB, its colours converted to sRGB if it carries a profile."""
    image = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "L", "CMYK"):  # palette, alpha: no profile applies
        image = image.convert("RGB")
    if icc:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        image = ImageCms.profileToProfile(image, source, SRGB, outputMode="RGB")
    return image.convert("RGB")


def save_jpeg(image: Image.Image, out: Path) -> Image.Image:
    """Saves `image` as JPEG at most LONG_SIDE px on its long side (never enlarged)."""
    image = to_srgb_rgb(image)
    image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    image.save(out, quality=QUALITY)
    return image


def fingerprint(image: Image.Image) -> int:
    """A 256-bit difference hash: which of each pair of neighbouring pixels is brighter,
    on a 17x16 grey thumbnail. Alike for one picture at any size or compression."""
    small = image.convert("L").resize((17, 16), Image.Resampling.LANCZOS)
    px = small.tobytes()
    bits = (px[r * 17 + c] > px[r * 17 + c + 1] for r in range(16) for c in range(16))
    return sum(1 << i for i, bit in enumerate(bits) if bit)


def reference_prints(folders: list[Path]) -> dict[str, int]:
    """Fingerprints of the images in `folders`, by path relative to the repository."""
    return {
        str(path.relative_to(ROOT)): fingerprint(Image.open(path).convert("RGB"))
        for folder in folders
        if folder.is_dir()
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in IMAGE_SUFFIXES
    }


def same_pictures(prints: dict[str, int], references: dict[str, int]) -> list[str]:
    """Pairs of files that hold the same picture, among `prints` or against `references`."""
    pairs = itertools.chain(
        itertools.combinations(prints.items(), 2),
        itertools.product(prints.items(), references.items()),
    )
    return [f"{a} ~ {b}" for (a, x), (b, y) in pairs if (x ^ y).bit_count() <= SAME_PICTURE_BITS]


def clear_images(dest: Path) -> None:
    """Creates `dest` and removes the images already in it, so that it ends up holding
    exactly the pictures written next."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if old.is_file() and old.suffix.lower() in IMAGE_SUFFIXES:
            old.unlink()
