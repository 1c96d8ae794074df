"""One frame of a painted clip at several `temporal` settings, to look at.

Top row: a 1:1 crop of frame N as painted frame by frame (temporal 0) and steadied. Bottom
row: how much that frame changed from frame N-1 carried along the original's motion (the
warping error's per-pixel term, x4, white = more): where the clip flickers.

    python benchmarks/clip_frames.py /tmp/clips480/gateway_zoom.mp4 --frame 20 \
        --temporal 0 0.6 1 --out docs/images/video/gateway_zoom_480_keyframes.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.clip_flicker import PaintedOnce, read_frames  # noqa: E402
from core.clips.flow import FlowEstimator, to_gray, warp  # noqa: E402
from core.clips.stylize import FramePainter, stylize_frames  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.params import ClipParams, StyleParams  # noqa: E402
from core.presets import load_preset_image  # noqa: E402


def change_map(originals: list[Image.Image], outputs: list[Image.Image]) -> Image.Image:
    """|O_t - warp(O_{t-1})| on the pixels the flow trusts, as the flicker score sees it."""
    flow = FlowEstimator("farneback")
    gray = [to_gray(np.asarray(o.resize(outputs[0].size))) for o in originals[-2:]]
    pair = flow.pair(gray[0], gray[1])
    before, now = (np.asarray(o, np.float32) / 255 for o in outputs[-2:])
    change = np.abs(now - warp(before, pair.flow)).mean(-1) * pair.valid
    return Image.fromarray((np.clip(change * 4, 0, 1) * 255).astype(np.uint8)).convert("RGB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("clip", type=Path)
    p.add_argument("--method", default="feedforward")
    p.add_argument("--preset", default="starry_night")
    p.add_argument("--size", type=int, default=640)
    p.add_argument("--frame", type=int, default=20)
    p.add_argument("--temporal", type=float, nargs="+", default=[0.0, 0.6, 1.0])
    p.add_argument("--crop", type=int, nargs=4, metavar=("X", "Y", "W", "H"))
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()

    frames = read_frames(args.clip, args.frame + 1)
    engine = Engine.load("cpu")
    params = StyleParams(method=args.method, preset=args.preset, size=args.size)
    # Painted once; only the steadying differs between the settings shown.
    painter = PaintedOnce(FramePainter(engine, [load_preset_image(args.preset)], params))
    tops, bottoms = [], []
    for temporal in args.temporal:
        outputs = [i for _, i in stylize_frames(frames, painter, ClipParams(temporal=temporal))]
        w, h = outputs[-1].size
        x, y, cw, ch = args.crop or ((w - 320) // 2, (h - 240) // 2, 320, 240)
        box = (x, y, x + cw, y + ch)
        tops.append((temporal, outputs[-1].crop(box)))
        bottoms.append(change_map([f.image for f in frames], outputs).crop(box))
    cw, ch = tops[0][1].size
    sheet = Image.new("RGB", (cw * len(tops), ch * 2 + 18), "white")
    draw = ImageDraw.Draw(sheet)
    for i, ((temporal, top), bottom) in enumerate(zip(tops, bottoms, strict=True)):
        draw.text((i * cw + 4, 3), f"temporal {temporal:g}", fill="black")
        sheet.paste(top, (i * cw, 18))
        sheet.paste(bottom, (i * cw, 18 + ch))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=90)
    print(args.out)


if __name__ == "__main__":
    main()
