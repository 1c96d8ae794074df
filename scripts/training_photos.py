"""Builds the photo collection the networks are trained on (default: data/photos/).

Every photograph comes from a Debian package and is named below, package by package and
file by file: an allow-list chosen by looking at each picture. Only photographs are listed
(landscapes, cities and buildings, people, animals, objects, interiors, underwater scenes);
illustrations, renders, abstract wallpapers, logos and screenshots are left out because
they would teach the networks the wrong "content". docs/training-data.md gives, for each
package, its licence, the photos' authors and a rough count by category.

Each photo is decoded (JPEG, PNG, WebP; some are stored inside a GCompris Qt resource
bundle or a Jigzo puzzle file), converted to sRGB, shrunk to at most 1024 px on its long
side (never enlarged) and saved as `<source>_<name>.jpg`, JPEG quality 90.

Held-out photos are never trained on: the five in examples/content/ and those in
examples/heldout/ (made by `--heldout`, listed in HELDOUT below). The allow-list must not
name them, and a perceptual hash checks that no training photo is a copy of one of them,
nor of another training photo (the same picture at another size or in another package).

    python scripts/training_photos.py [DEST]                  # the training photos
    python scripts/training_photos.py --heldout examples/heldout

DEST ends up holding exactly the listed photos: images already in it are removed first.
Needs `apt-get` and `dpkg-deb` (no root: packages are downloaded, not installed).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from debian_assets import (
    ROOT,
    clear_images,
    download,
    fingerprint,
    jigzo_picture,
    qt_resources,
    read_members,
    reference_prints,
    same_pictures,
    save_jpeg,
)
from PIL import Image

MIN_PHOTOS = 150


@dataclass(frozen=True)
class Photo:
    """One photograph: where it is in which Debian package, and the name it is saved as."""

    package: str
    path: str  # file inside the package
    name: str  # output name, without .jpg
    inner: str = ""  # member inside a Qt resource bundle (.rcc), if the file is one


def files(package: str, prefix: str, pattern: str, stems: str) -> list[Photo]:
    """Photos `pattern.format(stem)` of `package` for each stem, saved as `prefix_stem`."""
    return [
        Photo(package, pattern.format(stem), f"{prefix}_{stem.replace('/', '_')}")
        for stem in stems.split()
    ]


def gcompris(activity: str, folder: str, stems: str, suffix: str = "") -> list[Photo]:
    """Photos in a GCompris activity's resources, one Qt resource bundle per activity."""
    base = f"gcompris/src/activities/{activity}/resource"
    if folder:
        base += f"/{folder}"
    return [
        Photo(
            "gcompris-qt-data",
            f"usr/share/gcompris-qt/rcc/{activity}.rcc",
            f"gcompris_{activity}_{stem}",
            f"{base}/{stem}{suffix}.webp",
        )
        for stem in stems.split()
    ]


# The allow-list. The held-out photos (HELDOUT) are deliberately absent from it.
TRAINING: list[Photo] = [
    # GCompris (educational games): photographs from Wikimedia Commons, about 1024 px,
    # authors and licences in a README beside them. Explore activities first.
    *gcompris("explore_farm_animals", "animals", "cat chicken cow dog duck horse owl pig sheep"),
    *gcompris(
        "explore_monuments", "egypt", "bentPyramid greatPyramidOfGiza meidumPyramid redPyramid"
    ),
    *gcompris(
        "explore_monuments",
        "france",
        "arlesAmphitheater chateaudeChambord chateaudeChenonceau citedeCarcassonne eiffelTower"
        " montStMichel palaisdesPapes pontduGard reimsCathedral rocamadour",
    ),
    *gcompris(
        "explore_monuments",
        "germany",
        "aulaPalatina berlinCathedral brandenburgGate neuschwansteinCastle schwerinPalace"
        " trierImperialBaths wormsCathedral",
    ),
    *gcompris(
        "explore_monuments",
        "india",  # gatewayofIndia is held out
        "ajantaCave charminar goldenTemple greatStupa hawaMahal konarkSunTemple mysorePalace"
        " qutubMinar rangGhar victoriaMemorial",
    ),
    *gcompris(
        "explore_monuments",
        "usa",  # canyondeChelly is held out
        "cabrillo castillodeSanMarcos castleClinton fortSumter georgeWashingtonBirthplace"
        " lincolnMemorial mountRushmore navajo statueofLiberty",
    ),
    *gcompris(
        "explore_monuments",
        "wonders",
        "chichenItza christTheRedeemer colosseum greatWallofChina machuPicchu petra tajMahal",
    ),
    *gcompris(
        "explore_world_animals",
        "animals",  # lemur is held out
        "bison chameleon crocodile dragon giraffe hedgehog jaguar kangaroo koala moose narwhal"
        " panda polar_bear scarlet_macaw",
    ),
    *gcompris(
        "explore_world_music",
        "music",  # orchestra is held out
        "africa america australia ireland italy japan mexico middleeast",
    ),
    # Animal photographs (about 1920 px) that the "erase" game uncovers.
    *gcompris(
        "erase",
        "",
        "alpaca bee butterfly calf camels caterpillar chamaeleon cheetah crab dolphin flying_fox"
        " gibbon giraffe goat gorilla gosling heron horse kingfisher kitten long_nosed_monkey"
        " macaque meerkats northern_harrier nubian_ibex penguin pika red_panda rhinoceros"
        " spoonbills squirrel swans toucan",
    ),
    # Underwater backgrounds of the fish-catching game.
    *gcompris("clickgame", "", "sea1 sea2 sea3 sea4 sea5 sea6"),
    # "Find the details": the photographs (about 680 px), not the paintings.
    *gcompris(
        "details",
        "image",
        "Chenonceau EgeskovSlotSpejling EilanDonanCastle FanoeWindmill GizahPyramids"
        " Louvre_2007_02_24_c NDP Nagoya Neuschwanstein OperaSidney TajMahal TourEiffel"
        " TowerBridgeLondon",
        suffix="_background",
    ),
    # "Categorization": small photographs (about 300 px), enough for 128-256 px crops.
    # Left out: greatPyramid, colosseum, brandenburgGate (the same pictures as in
    # explore_monuments above).
    *gcompris("categorization", "images/alphabets", "alphabets"),
    *gcompris("categorization", "images/numbers", "numbers"),
    *gcompris(
        "categorization",
        "images/fishes",
        " ".join(f"fish{i}" for i in range(1, 29)),
    ),
    *gcompris(
        "categorization",
        "images/monuments",
        "IndiaGate arcDeTriomphe bayterek burj cathedral christTheRedeemer eiffelTower"
        " empireState greatWall jucheTower kutubMinar leMusee leaningTowerOfPisa monument1"
        " monument2 monument3 mountRushmore operaHouse parthenon statueOfLiberty tajMahal"
        " usCapitol victoriaMemorial zimniPalace",
    ),
    *gcompris(
        "categorization",
        "images/others",
        "baseball blackslate bucket buffetset bulb chair cup erasers igloo knife pan pencil"
        " pillow plate spoons volleyball weighingMachine",
    ),
    *gcompris(
        "categorization",
        "images/renewable",
        "dam1 dam2 dam3 dam4 dam5 geothermal solar1 solar2 solar3 solar4 solar5 solar6 solar7"
        " solar8 windmill windmill1 windmill2 windmill3 windmill4 windmill5 windmill6"
        " windmill7 windmill8 windmill9 windmill11 windmill12 windmill13 windmill14"
        " windmill15",
    ),
    *gcompris(
        "categorization",
        "images/tools",
        "cuttingTool hammer1 hammer2 hammer3 hammer4 hammer5 hammer6 hammer7 hammer8 hammer9"
        " measuringTape1 measuringTape2 measuringTape3 measuringTape4 measuringTape5"
        " measuringTape6 multimeter1 multimeter2 multimeter3 nailCutter plier1 plier2 plier3"
        " plier4 scissors1 scissors2 scissors3 scissors4 screwDriver screwDriver1"
        " screwDriver2 screwDriver3 sickle sideCutter1 spray tweezer tweezer1 wrench wrench1",
    ),
    # MATE desktop backgrounds: the whole "nature" set.
    *files(
        "mate-backgrounds",
        "mate",
        "usr/share/backgrounds/mate/nature/{}.jpg",
        "Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings"
        " Wood YellowFlower",
    ),
    # Plasma wallpapers that are photographs, each in its largest rendition only.
    *files(
        "plasma-workspace-wallpapers",
        "plasma",
        "usr/share/wallpapers/{}/contents/images/2560x1600.jpg",
        "BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite"
        " OneStandsOut Path summer_1am",
    ),
    # Lomiri (Ubuntu Touch) wallpapers: the photographs among them.
    *files(
        "lomiri-wallpapers-16.04",
        "lomiri",
        "usr/share/backgrounds/{}.jpg",  # seeding_by_Clements_Engelhardt is held out
        "aitzgorri_by_Aitzol_Berasategi Bridge_by_Sander_Klootwijk Dragonfly_by_Bolly"
        " free_by_Peter_Nerlich friends_by_Aitzol_Berasategi greentock_by_Peter_Nerlich"
        " life_by_Aitzol_Berasategi picosdeeuropa_by_Aitzol_Berasategi"
        " Picture_0B_by_freespace Picture_1A_by_freespace sunset_by_Aitzol_Berasategi"
        " Wine_by_Jakkub_Mede",
    ),
    *files(
        "lomiri-wallpapers-20.04",
        "lomiri",
        "usr/share/backgrounds/{}.jpg",
        "Kleiber_by_Lukas_Baubkus",
    ),
    # Palapeli (jigsaw puzzles): its default collection (citrus-fruits is held out).
    *files(
        "palapeli-data",
        "palapeli",
        "usr/share/palapeli/collection/{}.jpg",
        "castle-maintenon cincinnati-bridge european-honey-bee panther-chameleon-female",
    ),
    # Tux Paint: the photographic templates and two photographic starter backgrounds.
    *files(
        "tuxpaint-data",
        "tuxpaint",
        "usr/share/tuxpaint/templates/{}.jpg",
        "burnt_bark cliff corn_maze jellyfish lighthouse mossy_bark mossy_log mudstone"
        " ocean_splash ocean_waves redwoods_above rocks sheep spiders_web sun_behind_clouds"
        " sun_behind_leaves trees_above trees_at_dusk wool_mill_machine",
    ),
    Photo("tuxpaint-data", "usr/share/tuxpaint/starters/reef-back.png", "tuxpaint_reef"),
    Photo(
        "tuxpaint-data",
        "usr/share/tuxpaint/starters/skyline-sf-dusk-back.jpeg",
        "tuxpaint_skyline-sf-dusk",
    ),
    # Scribus document templates: their sample photographs.
    *files(
        "scribus-template",
        "scribus",
        "usr/share/scribus/templates/{}.jpg",
        "br2/brightness br2/halfmoon br2/moon br2/nature br2/sunset cal2/moon menu2/pizza",
    ),
    # Jigzo (a photo puzzle game): the picture inside each puzzle file. Left out:
    # penguin-3x2, whose licence (CC BY-NC-SA 1.0) forbids commercial use.
    *[
        Photo(
            "jigzo-data",
            f"usr/share/games/jigzo/puzzles/00_default/{stem}.pzl",
            f"jigzo_{stem.split('-')[0]}",
        )
        for stem in (
            "bike-3x4 bird-2x3 blackberry-3x3 castle-6x3 clouds-4x4 gorilla2-3x3 heli-4x3"
            " horse-4x3 tobogan-4x3 train-2x2 windmill-4x4"
        ).split()
    ],
    # Sample images of Python libraries, as Debian packages them.
    *files(
        "python3-sklearn",
        "sklearn",
        "usr/lib/python3/dist-packages/sklearn/datasets/images/{}.jpg",
        "china flower",
    ),
    Photo(
        "python3-skimage",
        "usr/lib/python3/dist-packages/skimage/data/motorcycle_left.png",
        "skimage_motorcycle",
    ),
]

# examples/heldout/: photographs no network trains on, one or two of each kind of scene.
# examples/heldout/SOURCES.md gives their authors and licences.
HELDOUT: list[Photo] = [
    Photo(
        "python-matplotlib-data",
        "usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        "grace_hopper",
    ),
    replace(*gcompris("explore_world_animals", "animals", "lemur"), name="lemurs"),
    replace(*gcompris("explore_monuments", "india", "gatewayofIndia"), name="gateway_of_india"),
    replace(*gcompris("explore_world_music", "music", "orchestra"), name="orchestra"),
    replace(*gcompris("explore_monuments", "usa", "canyondeChelly"), name="canyon_de_chelly"),
    Photo("palapeli-data", "usr/share/palapeli/collection/citrus-fruits.jpg", "citrus_fruits"),
    Photo(
        "lomiri-wallpapers-16.04",
        "usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg",
        "dandelions",
    ),
]


def build(photos: list[Photo], dest: Path) -> dict[str, int]:
    """Writes every photo into `dest` as JPEG; returns their fingerprints by file name."""
    prints = {}
    with tempfile.TemporaryDirectory(prefix="training-photos-") as tmp:
        debs = download({p.package for p in photos}, Path(tmp))
        for package, deb in sorted(debs.items()):
            print(f"  {deb.name}")
            mine = [p for p in photos if p.package == package]
            contents = read_members(deb, {p.path for p in mine})
            bundles = {
                path: qt_resources(blob) for path, blob in contents.items() if path.endswith(".rcc")
            }
            for photo in mine:
                if photo.inner:
                    blob = bundles[photo.path].get(photo.inner)
                    if blob is None:
                        sys.exit(f"{package}: {photo.path} has no readable {photo.inner}")
                    image = Image.open(io.BytesIO(blob))
                elif photo.path.endswith(".pzl"):
                    image = jigzo_picture(contents[photo.path])
                else:
                    image = Image.open(io.BytesIO(contents[photo.path]))
                out = dest / f"{photo.name}.jpg"
                prints[out.name] = fingerprint(save_jpeg(image, out))
    return prints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", default="data/photos", help="output folder")
    parser.add_argument(
        "--heldout",
        metavar="DIR",
        help="write the held-out photos into DIR (normally examples/heldout) instead",
    )
    args = parser.parse_args()

    heldout_keys = {(p.package, p.path, p.inner) for p in HELDOUT}
    leaked = [p.name for p in TRAINING if (p.package, p.path, p.inner) in heldout_keys]
    if leaked:
        sys.exit(f"held-out photos in the training allow-list: {', '.join(leaked)}")
    names = Counter(p.name for p in TRAINING + HELDOUT)
    if max(names.values()) > 1:
        sys.exit(f"names used twice: {[n for n, k in names.items() if k > 1]}")

    if args.heldout:
        dest = Path(args.heldout)
        photos = HELDOUT
        references = [ROOT / "examples" / "content"]
    else:
        dest = Path(args.dest)
        photos = TRAINING
        references = [ROOT / "examples" / "content", ROOT / "examples" / "heldout"]
        if not references[1].is_dir():
            print("warning: no examples/heldout/ to check against", file=sys.stderr)

    clear_images(dest)
    print(f"Fetching {len(photos)} photos from Debian packages into {dest}/:")
    prints = build(photos, dest)

    copies = same_pictures(prints, reference_prints(references))
    if copies:
        sys.exit("the same picture twice (or a held-out one):\n  " + "\n  ".join(copies))

    by_package = Counter(p.package for p in photos)
    for package, count in sorted(by_package.items()):
        print(f"  {count:4d}  {package}")
    print(f"{len(prints)} photos in {dest}")
    if not args.heldout and len(prints) < MIN_PHOTOS:
        sys.exit(f"fewer than {MIN_PHOTOS} photos")


if __name__ == "__main__":
    main()
