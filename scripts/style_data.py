"""Builds the style collection arbitrary-style networks are trained on (default: data/styles/).

Every artwork and texture comes from a Debian package and is named below, package by package
and file by file: an allow-list chosen by looking at each picture. Listed are paintings and
prints (GCompris, TeX Live documentation), painted game scenes (Wesnoth), abstract and
illustrated desktop wallpapers, and seamless textures (Krita, GIMP). Left out are
photographs (they are content, not style), logos, screenshots, pieces of user interface,
images under 256 px (paintings) or 128 px (textures) on their short side, and anything under
a non-commercial or no-derivatives licence. docs/style-data.md gives, for each package, its
licence, its authors where stated and what kind of pictures it gives.

Each picture is decoded (JPEG, PNG, WebP, a GIMP pattern; some are inside a GCompris Qt
resource bundle, and GCompris' paintings are jigsaw pieces put back together here),
flattened onto white if it has transparency, converted to sRGB, shrunk to at most 1024 px
on its long side (never enlarged) and saved as `<source>_<name>.jpg`, JPEG quality 90.

Held-out artworks are never trained on: those in examples/styles/ and examples/heldout_styles/
(made by `--heldout`, listed in HELDOUT below). A perceptual hash checks that no training
picture is a copy of one of them, of a preset in core/styles/, or of another training picture.

    python scripts/style_data.py [DEST]                         # the training styles
    python scripts/style_data.py --heldout examples/heldout_styles

DEST ends up holding exactly the listed pictures: images already in it are removed first.
Needs `apt-get` and `dpkg-deb` (no root: packages are downloaded, not installed).
"""

from __future__ import annotations

import argparse
import io
import re
import struct
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from debian_assets import (
    ROOT,
    clear_images,
    download,
    fingerprint,
    qt_resources,
    read_members,
    reference_prints,
    same_pictures,
    save_jpeg,
)
from PIL import Image, ImageChops

Image.MAX_IMAGE_PIXELS = None  # some wallpapers are 6000 x 4000; every file is listed below
MIN_STYLES = 180
GCOMPRIS_RCC = "usr/share/gcompris-qt/rcc/{}.rcc"
PAINTINGS = "gcompris/src/activities/paintings/resource"


@dataclass(frozen=True)
class Art:
    """One artwork or texture: where it is in which Debian package, the name it is saved as."""

    package: str
    path: str  # file inside the package
    name: str  # output name, without .jpg
    inner: str = ""  # member of a Qt resource bundle (.rcc): a picture, or a paintings board
    crop: tuple[int, int, int, int] | None = None  # (left, top, right, bottom) in the file
    # What the held-out set records about it (examples/heldout_styles/heldout.json).
    title: str = ""
    artist: str = ""
    year: str = ""
    kind: str = ""


def files(package: str, prefix: str, pattern: str, stems: str) -> list[Art]:
    """Pictures `pattern.format(stem)` of `package` for each stem, saved as `prefix_stem`."""
    return [
        Art(package, pattern.format(stem), f"{prefix}_{Path(stem).stem}") for stem in stems.split()
    ]


def painting(board: int, name: str) -> Art:
    """A painting of GCompris' `paintings` activity, put together from its jigsaw pieces."""
    return Art(
        "gcompris-qt-data",
        GCOMPRIS_RCC.format("paintings"),
        f"gcompris_{name}",
        f"{PAINTINGS}/board/board{board}_0.qml",
    )


def van_gogh(stem: str, name: str) -> Art:
    """A Van Gogh painting of GCompris' `details` activity (its whole background picture)."""
    return Art(
        "gcompris-qt-data",
        GCOMPRIS_RCC.format("details"),
        f"gcompris_{name}",
        f"gcompris/src/activities/details/resource/image/{stem}_background.webp",
    )


WESNOTH = "usr/share/games/wesnoth/1.16/data/{}"
CAMPAIGN = WESNOTH.format("campaigns/{}/images/story/{{}}")
PLASMA = "usr/share/wallpapers/{}"
TEXDOC = "usr/share/doc/texlive-doc/{}"

# The allow-list. The held-out artworks (HELDOUT) are deliberately absent from it.
TRAINING: list[Art] = [
    # GCompris "paintings": 22 paintings and prints from the WebMuseum, cut into jigsaw
    # pieces. Left out: Mona Lisa and Arcimboldo's Librarian (in examples/styles/),
    # Michelangelo's Pieta (a photograph of a sculpture); held out: boards 1, 7 and 19.
    painting(2, "arcimboldo_spring"),
    painting(4, "hokusai_oiran_and_kamuro"),
    painting(5, "hokusai_woman_holding_a_fan"),
    painting(6, "hokusai_ejiri_in_suruga"),
    painting(8, "hiroshige_benzaiten_shrine_in_snow"),
    painting(9, "hiroshige_horse_mackerel_and_prawn"),
    painting(10, "hokusai_sunset_over_ryogoku_bridge"),
    painting(11, "hokusai_poppies"),
    painting(12, "hokusai_kazusa_sea_route"),
    painting(15, "bellini_pesaro_altarpiece_predella"),
    painting(16, "durer_lion"),
    painting(17, "bruegel_the_harvesters"),
    painting(18, "renoir_girls_at_the_piano"),
    painting(20, "bazille_ramparts_at_aigues_mortes"),
    painting(21, "cassatt_summertime"),
    painting(22, "van_gogh_village_street_in_auvers"),
    # GCompris "details": eight Van Gogh paintings (the Night Cafe is held out).
    van_gogh("VincentVanGogh0012", "van_gogh_entrance_hall_saint_paul"),
    van_gogh("VincentVanGoghBridge", "van_gogh_langlois_bridge"),
    van_gogh("Eglise_dAuvers-sur-Oise", "van_gogh_church_at_auvers"),
    van_gogh("VincentVanGogh0013", "van_gogh_painter_on_his_way_to_work"),
    van_gogh("VincentVanGogh0019", "van_gogh_the_harvest"),
    van_gogh("Gogh4", "van_gogh_cafe_terrace_at_night"),
    van_gogh("PortraitOfPereTanguy", "van_gogh_pere_tanguy"),
    # Wesnoth: painted story scenes. Left out: the variants of one scene
    # (landscape-battlefield_nohumans, landscape-bridge_sun), character portraits on
    # transparent ground, maps, and Secrets of the Ancients' story pictures (screenshots of
    # the game board). swamp-01 is held out, and with it its two sibling swamp paintings.
    *files(
        "wesnoth-1.16-data",
        "wesnoth",
        WESNOTH.format("core/images/story/{}.jpg"),
        "grim-altar landscape-battlefield landscape-bridge landscape-castle landscape-coast"
        " landscape-hills-01 landscape-hills-02 landscape-mountains-01 landscape-mountains-02"
        " landscape-mountains-03 landscape-mountains-04 landscape-mountains-05 landscape-plain",
    ),
    *files(
        "wesnoth-1.16-did",
        "wesnoth_did",
        CAMPAIGN.format("Descent_Into_Darkness") + ".jpg",
        "book end parthyn travel",
    ),
    Art(
        "wesnoth-1.16-httt",
        CAMPAIGN.format("Heir_To_The_Throne").format("arrival_of_the_heir.png"),
        "wesnoth_httt_arrival_of_the_heir",
    ),
    *files(
        "wesnoth-1.16-httt",
        "wesnoth_httt",
        CAMPAIGN.format("Heir_To_The_Throne") + ".jpg",
        " ".join(f"httt_story{i}" for i in range(1, 9)),
    ),
    *files(
        "wesnoth-1.16-l",
        "wesnoth_liberty",
        CAMPAIGN.format("Liberty") + ".jpg",
        "Halstead frontier island return_to_Dallben_and_Delwyn",
    ),
    Art(
        "wesnoth-1.16-low",
        WESNOTH.format("campaigns/Legend_of_Wesmere/images/low-map.png"),
        "wesnoth_low_map",
    ),
    *files(
        "wesnoth-1.16-trow",
        "wesnoth_trow",
        CAMPAIGN.format("The_Rise_Of_Wesnoth") + ".jpg",
        " ".join(f"trow_intro_{i:02d}" for i in range(1, 11))
        + " trow_story_01-A_Summer_of_Storms trow_story_02-The_Fall"
        " trow_story_03-A_Harrowing_Escape trow_story_04-Fall_of_Eldaric"
        " trow_story_04a-The_Swamp_of_Esten trow_story_04b-The_Midlands"
        " trow_story_06-Temple_in_the_Deep trow_story_13-Peoples_in_Decline"
        " trow_story_15-A_New_Land",
    ),
    *files(
        "wesnoth-1.16-tsg",
        "wesnoth_tsg",
        CAMPAIGN.format("The_South_Guard") + ".jpg",
        "fall summer winter",
    ),
    *files(
        "wesnoth-1.16-ttb",
        "wesnoth_ttb",
        CAMPAIGN.format("Two_Brothers") + ".png",
        "Two_Brothers_M1P1 Two_Brothers_M1P2 Two_Brothers_M2P1 Two_Brothers_M4P1_the_end",
    ),
    # Wesnoth: each campaign's painted title picture (a character on transparent ground,
    # flattened onto white) and Legend of Wesmere's painted character sheets.
    *[
        Art(
            f"wesnoth-1.16-{package}",
            WESNOTH.format(f"campaigns/{campaign}/images/campaign_image.png"),
            f"wesnoth_{package}_campaign_image",
        )
        for package, campaign in (
            ("data", "tutorial"),
            ("did", "Descent_Into_Darkness"),
            ("dm", "Delfadors_Memoirs"),
            ("dw", "Dead_Water"),
            ("ei", "Eastern_Invasion"),
            ("httt", "Heir_To_The_Throne"),
            ("l", "Liberty"),
            ("low", "Legend_of_Wesmere"),
            ("nr", "Northern_Rebirth"),
            ("sof", "Sceptre_of_Fire"),
            ("sotbe", "Son_Of_The_Black_Eye"),
            ("thot", "The_Hammer_of_Thursagan"),
            ("trow", "The_Rise_Of_Wesnoth"),
            ("tsg", "The_South_Guard"),
            ("ttb", "Two_Brothers"),
            ("utbs", "Under_the_Burning_Suns"),
        )
    ],
    *files(
        "wesnoth-1.16-low",
        "wesnoth_low",
        CAMPAIGN.format("Legend_of_Wesmere") + ".png",
        " ".join(
            f"characters/{c}"
            for c in "aldar cleodil crelanu galtrid highlord kalenz landar legmir lord olurf"
            " uradredia".split()
        ),
    ),
    # Plasma wallpapers that are illustrations or abstract renders, largest rendition, light
    # variant only (the photographs are in the photo collection).
    *[
        Art(
            "plasma-workspace-wallpapers",
            PLASMA.format(f"{stem}/contents/images/{file}"),
            f"plasma_{stem}",
        )
        for stem, file in (
            ("Altai", "5120x2880.png"),
            ("Autumn", "2560x1600.jpg"),
            ("Canopee", "3840x2160.png"),
            ("Cascade", "3840x2160.png"),
            ("Cluster", "3840x2160.png"),
            ("Elarun", "2560x1600.png"),
            ("Flow", "5120x2880.jpg"),
            ("FlyingKonqui", "2560x1600.png"),
            ("Honeywave", "5120x2880.jpg"),
            ("IceCold", "5120x2880.png"),
            ("Kay", "5120x2880.png"),
            ("Kokkini", "3840x2160.png"),
            ("MilkyWay", "5120x2880.png"),
            ("Opal", "3840x2160.png"),
            ("PastelHills", "3200x2000.jpg"),
            ("Patak", "5120x2880.png"),
            ("SafeLanding", "5120x2880.jpg"),
            ("Shell", "5120x2880.jpg"),
            ("Volna", "5120x2880.jpg"),
        )
    ],
    # GNOME backgrounds: one of each light/dark pair. Left out: pixels and symbolic (app
    # icons), vnc (256 px), the SVGs; truchet-d is held out, so truchet-l is left out too.
    *files(
        "gnome-backgrounds",
        "gnome",
        "usr/share/backgrounds/gnome/{}.webp",
        "adwaita-d grid-d grid-l licorice-d wood-d",
    ),
    # UKUI wallpapers. Left out: firstgeneration and the-mouse (mascots), focal-ubuntukylin
    # (a version number drawn on it).
    *files(
        "ukui-wallpapers",
        "ukui",
        "usr/share/backgrounds/{}",
        "2004default.jpg calla.png city.png desert.png fluent-color.png goldfish.png"
        " rhythm.jpg rollpaper.png string.jpg",
    ),
    # MATE backgrounds. Left out: the abstract PNGs that are white shapes on a transparent
    # ground, and the ones showing the MATE logo.
    *files(
        "mate-backgrounds",
        "mate",
        "usr/share/backgrounds/mate/{}",
        "abstract/Elephants.jpg desktop/Stripes.png desktop/Ubuntu-Mate-Cold-no-logo.png"
        " desktop/Ubuntu-Mate-Warm-no-logo.png",
    ),
    # Lomiri wallpapers that are not photographs.
    *files(
        "lomiri-wallpapers-16.04",
        "lomiri",
        "usr/share/backgrounds/{}.jpg",
        "analogpattern_by_Peter_Nerlich umang_by_Abhishek_Mudgal",
    ),
    *files(
        "lomiri-wallpapers-20.04",
        "lomiri",
        "usr/share/backgrounds/{}.jpg",
        "Fossa_by_Jasper_Roks Infinite-Sea_by_Aury88 Painting-Colors_by__herobrine7gamer",
    ),
    # Krita's patterns: papers, canvases, drawn hatchings and natural textures, all those of
    # at least 128 px (the others are tiny dither and screentone cells).
    *files(
        "krita-data",
        "krita",
        "usr/share/krita/patterns/{}",
        "01_canvas.png 02_rough-canvas.png 02b_WoofTissue.png 03_default-paper.png"
        " 04_paper-C-grain.png 05_paper-torchon.png 06_hard-grain.png 08_bump-relief.png"
        " 09_drawed_crosshatched.png 09b_drawed-CrossedLines.png 10_drawed_dotted.png"
        " 11_drawed_furry.png 12_drawed_vertical.png 13_drawed_swirl.png 14_texture-rock.png"
        " 15_texture-rockB.png 16_texture-woody.png 17_texture-melt.png 18_texture-bark.png"
        " 18b_WaveFlex.png 19_texture-crackle.png 20_texture-vegetal.png"
        " 21_texture-chainmail.png 22_texture-reptile.png 26_brush-marks.png"
        " Abstract_lines.png Maze_lines.png Rough_Paper.png Rough_Wall_With_Impasto.png"
        " Sand_fine.png Stars_Sized.png HR_PastelPaper_02.pat HR_Wall_Paper.pat"
        " Crumpled_Paper.pat fractal_pattern.pat generic_paper1.pat generic_paper2.pat",
    ),
    # GIMP's patterns of at least 128 px (most are 50-100 px tiles).
    *files(
        "gimp-data",
        "gimp",
        "usr/share/gimp/2.0/patterns/{}.pat",
        "Legacy/nops Paper/crinklepaper Sky/starfield Stone/cracked Stone/marble1"
        " Stone/marble2 Stone/pink_marble Stone/slate Stone/stone33 Wood/walnut",
    ),
    # TeX Live documentation: old artworks the packages use as sample pictures, and two
    # textures. Most pictures there are photographs, screenshots or diagrams.
    Art(
        "texlive-publishers-doc",
        TEXDOC.format("latex/beamer-verona/plato-aristotle.jpg"),
        "texlive_raphael_plato_aristotle",
    ),
    Art(
        "texlive-publishers-doc",
        TEXDOC.format("lualatex/novel/html-resources/raffaelino-original.png"),
        "texlive_raffaellino_madonna",
        crop=(0, 0, 405, 344),  # without the caption strip under the picture
    ),
    Art(
        "texlive-fonts-extra-doc",
        TEXDOC.format("fonts/missaali/missale-preface.png"),
        "texlive_missale_aboense_preface",
    ),
    *files(
        "texlive-fonts-extra-doc",
        "texlive_aboensis",
        TEXDOC.format("fonts/aboensis/doc/pics/{}"),
        "aboensis-78v.png kununx_balk.jpg",
    ),
    Art(
        "texlive-latex-extra-doc",
        TEXDOC.format("latex/bearwear/tartan3.jpg"),
        "texlive_tartan",
    ),
    Art(
        "texlive-latex-extra-doc",
        TEXDOC.format("latex/bookcover/figures/bookcover-bg.jpg"),
        "texlive_bookcover_background",
    ),
]

# examples/heldout_styles/: artworks no network trains on, one of each kind.
# examples/heldout_styles/SOURCES.md gives their authors and licences.
HELDOUT: list[Art] = [
    Art(
        "gcompris-qt-data",
        GCOMPRIS_RCC.format("paintings"),
        "kandinsky_composition_viii",
        f"{PAINTINGS}/board/board19_0.qml",
        title="Composition VIII",
        artist="Wassily Kandinsky",
        year="1923",
        kind="abstract",
    ),
    Art(
        "gcompris-qt-data",
        GCOMPRIS_RCC.format("paintings"),
        "renoir_moulin_de_la_galette",
        f"{PAINTINGS}/board/board1_0.qml",
        title="Bal du moulin de la Galette",
        artist="Pierre-Auguste Renoir",
        year="1876",
        kind="impressionist",
    ),
    Art(
        "gcompris-qt-data",
        GCOMPRIS_RCC.format("paintings"),
        "hokusai_great_wave",
        f"{PAINTINGS}/board/board7_0.qml",
        title="The Great Wave off Kanagawa",
        artist="Katsushika Hokusai",
        year="1829-1833",
        kind="woodblock print",
    ),
    Art(
        "gcompris-qt-data",
        GCOMPRIS_RCC.format("details"),
        "van_gogh_night_cafe",
        "gcompris/src/activities/details/resource/image/Van_Gogh_The_Night_Cafe_background.webp",
        title="The Night Café",
        artist="Vincent van Gogh",
        year="1888",
        kind="expressionist",
    ),
    Art(
        "texlive-publishers-doc",
        TEXDOC.format("latex/afparticle/vitruvian.jpg"),
        "leonardo_vitruvian_man",
        title="Vitruvian Man",
        artist="Leonardo da Vinci",
        year="c. 1490",
        kind="ink drawing",
    ),
    Art(
        "texlive-latex-extra-doc",
        TEXDOC.format("latex/willowtreebook/willow.jpg"),
        "redoute_weeping_willow",
        crop=(0, 0, 3740, 5000),  # without the watermark in the bottom corner
        title="Salix babylonica (weeping willow), Traité des arbres et arbustes, t. 3 no. 27",
        artist="Pierre-Joseph Redouté (painter), Gabriel (engraver)",
        year="1800-1819",
        kind="watercolour",
    ),
    Art(
        "wesnoth-1.16-data",
        WESNOTH.format("core/images/story/swamp-01.jpg"),
        "wesnoth_swamp",
        title="swamp-01 (story background)",
        artist="Battle for Wesnoth artists (not named per file)",
        year="by 2021",
        kind="very dark",
    ),
    Art(
        "gnome-backgrounds",
        "usr/share/backgrounds/gnome/truchet-d.webp",
        "gnome_truchet_dark",
        title="Truchet (dark)",
        artist="not named in the package",
        year="by 2022",
        kind="light lines on dark",
    ),
]

# Held-out artworks that are already in the repository (examples/SOURCES.md).
HELDOUT_IN_REPO: list[dict[str, str]] = [
    {
        "file": "examples/styles/mona_lisa.jpg",
        "title": "Mona Lisa",
        "artist": "Leonardo da Vinci",
        "kind": "dark",
    },
    {
        "file": "examples/styles/arcimboldo_librarian.jpg",
        "title": "The Librarian",
        "artist": "Giuseppe Arcimboldo",
        "kind": "muted",
    },
    {
        "file": "examples/styles/simberg_wounded_angel.jpg",
        "title": "The Wounded Angel",
        "artist": "Hugo Simberg",
        "kind": "muted",
    },
    {
        "file": "examples/styles/colour_from_a_distance.jpg",
        "title": "Colour from a distance",
        "artist": "unknown",
        "kind": "abstract",
    },
]


def gimp_pattern(blob: bytes) -> Image.Image:
    """The picture in a GIMP pattern (.pat): a big-endian header (its size, version, width,
    height, bytes per pixel, magic "GPAT", a name), then the pixels, row by row."""
    header, _version, width, height, depth, magic = struct.unpack_from(">5I4s", blob)
    if magic != b"GPAT":
        raise ValueError("not a GIMP pattern")
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[depth]
    return Image.frombytes(mode, (width, height), blob[header : header + width * height * depth])


def assemble_painting(bundle: dict[str, bytes], board: str) -> Image.Image:
    """A GCompris painting put back together from its jigsaw pieces.

    A board lists, for each piece, its picture (with transparent tabs) and where its centre
    lies, as fractions of the board's width and height. Pasted there, the pieces leave
    hairline gaps along some cuts, filled from their neighbours; the ragged outer edge is
    cropped off.
    """
    text = bundle[board].decode()
    width, height = map(int, re.search(r'"width":\s*(\d+),\s*"height":\s*(\d+)', text).groups())
    pieces = re.findall(
        r'"pixmapfile"\s*:\s*"(image/[^"]+\.webp)",\s*"x"\s*:\s*"([\d.]+)",\s*"y"\s*:\s*"([\d.]+)"',
        text,
    )
    canvas = Image.new("RGBA", (width, height))
    for file, x, y in pieces:
        piece = Image.open(io.BytesIO(bundle[f"{PAINTINGS}/{file}"])).convert("RGBA")
        left = round(float(x) * width - piece.width / 2)
        top = round(float(y) * height - piece.height / 2)
        canvas.alpha_composite(piece, (left, top))
    canvas = canvas.crop(canvas.getbbox())
    opaque = np.asarray(canvas.getchannel("A")) > 250
    for _ in range(2):  # gaps are at most two pixels wide
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            canvas = Image.alpha_composite(ImageChops.offset(canvas, dx, dy), canvas)
    # Crop to the rows and columns the pieces cover almost completely.
    rows = np.flatnonzero(opaque.mean(axis=1) > 0.98)
    cols = np.flatnonzero(opaque.mean(axis=0) > 0.98)
    box = (cols[0] + 1, rows[0] + 1, cols[-1], rows[-1])
    return canvas.crop(box)


def flatten(image: Image.Image) -> Image.Image:
    """`image` on a white ground if it has transparency, keeping its colour profile."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode not in ("RGBA", "LA"):
        return image
    icc = image.info.get("icc_profile")
    ground = Image.new("RGBA", image.size, "white")
    flat = Image.alpha_composite(ground, image.convert("RGBA")).convert("RGB")
    if icc:
        flat.info["icc_profile"] = icc
    return flat


def decode(
    art: Art, contents: dict[str, bytes], bundles: dict[str, dict[str, bytes]]
) -> Image.Image:
    """The picture `art` names, out of its package's files."""
    if art.inner.endswith(".qml"):
        return assemble_painting(bundles[art.path], art.inner)
    if art.inner:
        blob = bundles[art.path].get(art.inner)
        if blob is None:
            sys.exit(f"{art.package}: {art.path} has no readable {art.inner}")
        return Image.open(io.BytesIO(blob))
    blob = contents[art.path]
    if art.path.endswith(".pat"):
        return gimp_pattern(blob)
    return Image.open(io.BytesIO(blob))


def build(arts: list[Art], dest: Path) -> dict[str, int]:
    """Writes every artwork into `dest` as JPEG; returns their fingerprints by file name."""
    prints = {}
    with tempfile.TemporaryDirectory(prefix="style-data-") as tmp:
        debs = download({a.package for a in arts}, Path(tmp))
        for package, deb in sorted(debs.items()):
            print(f"  {deb.name}")
            mine = [a for a in arts if a.package == package]
            contents = read_members(deb, {a.path for a in mine})
            bundles = {
                path: qt_resources(blob) for path, blob in contents.items() if path.endswith(".rcc")
            }
            for art in mine:
                image = decode(art, contents, bundles)
                if art.crop:
                    image = image.crop(art.crop)
                out = dest / f"{art.name}.jpg"
                prints[out.name] = fingerprint(save_jpeg(flatten(image), out))
    return prints


def source(name: str) -> str:
    """The source an output name starts with (gcompris, wesnoth, plasma, ...)."""
    return name.split("_", 1)[0]


def write_heldout_list(dest: Path) -> None:
    """examples/heldout_styles/heldout.json: every held-out artwork, for benchmarks."""
    import json

    entries = [
        {
            "file": str((dest / f"{a.name}.jpg").resolve().relative_to(ROOT)),
            "title": a.title,
            "artist": a.artist,
            "kind": a.kind,
        }
        for a in HELDOUT
    ] + HELDOUT_IN_REPO
    (dest / "heldout.json").write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", default="data/styles", help="output folder")
    parser.add_argument(
        "--heldout",
        metavar="DIR",
        help="write the held-out artworks into DIR (normally examples/heldout_styles) instead",
    )
    args = parser.parse_args()

    heldout_keys = {(a.package, a.path, a.inner) for a in HELDOUT}
    leaked = [a.name for a in TRAINING if (a.package, a.path, a.inner) in heldout_keys]
    if leaked:
        sys.exit(f"held-out artworks in the training allow-list: {', '.join(leaked)}")
    names = Counter(a.name for a in TRAINING + HELDOUT)
    if max(names.values()) > 1:
        sys.exit(f"names used twice: {[n for n, k in names.items() if k > 1]}")

    presets = [ROOT / "core" / "styles", ROOT / "examples" / "styles"]
    if args.heldout:
        dest = Path(args.heldout)
        arts = HELDOUT
        references = presets
    else:
        dest = Path(args.dest)
        arts = TRAINING
        references = [*presets, ROOT / "examples" / "heldout_styles"]
        if not references[-1].is_dir():
            print("warning: no examples/heldout_styles/ to check against", file=sys.stderr)

    clear_images(dest)
    print(f"Fetching {len(arts)} artworks from Debian packages into {dest}/:")
    prints = build(arts, dest)

    copies = same_pictures(prints, reference_prints(references))
    if copies:
        sys.exit("the same picture twice (or a held-out one):\n  " + "\n  ".join(copies))
    if args.heldout:
        write_heldout_list(dest)

    for package, count in sorted(Counter(a.package for a in arts).items()):
        print(f"  {count:4d}  {package}")
    if not args.heldout:
        by_source = Counter(source(a.name) for a in arts)
        print("  by source: " + ", ".join(f"{s} {n}" for s, n in sorted(by_source.items())))
    print(f"{len(prints)} artworks in {dest}")
    if not args.heldout and len(prints) < MIN_STYLES:
        sys.exit(f"fewer than {MIN_STYLES} artworks")


if __name__ == "__main__":
    main()
