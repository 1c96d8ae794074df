"""Gatys from the trained model's preview (init='preview') against Gatys from the photo.

On held-out photos, for every preset that has a trained model, side by side in one process:
- `balanced`: today's full job, coarse to fine from the photo;
- `preview`: the trained model alone (what the bot shows first);
- `refine F`: init='preview', the final scale alone with F x balanced's final-scale steps.
Each run's wall and CPU time (style targets not cached, so every run pays for its own; the
fastest of --repeats rounds, since the machine's load changes over minutes), its work in
megapixel-steps (deterministic: what time would follow on an idle machine, up to per-step
overheads), its core.metrics distances (content to the photo, style to the painting) and its
luminance contrast over the photo's (a washed-out result is well under 1). The summary
takes, per variant, the median over cases of each ratio to `balanced`.

    python benchmarks/refine.py --size 256 --photos 3 \
        --presets starry_night the_scream woman_with_hat --out docs/bench/refine.json

The report holds one entry per --size; a run adds its size to an existing file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import colour  # noqa: E402
from core.engine import SHIPPED_CHECKPOINTS, Engine  # noqa: E402
from core.gatys import image_to_tensor  # noqa: E402
from core.metrics import _network, distances  # noqa: E402
from core.params import QUALITY_PRESETS, StyleParams, refine_steps  # noqa: E402
from core.presets import get_preset  # noqa: E402
from core.stylizer import Progress, StyleResult  # noqa: E402

# Held out from training; a landscape, a portrait, animals, a town, in this order.
PHOTOS = (
    ROOT / "examples" / "heldout" / "canyon_de_chelly.jpg",
    ROOT / "examples" / "heldout" / "grace_hopper.jpg",
    ROOT / "examples" / "heldout" / "lemurs.jpg",
    ROOT / "examples" / "content" / "tubingen.jpg",
)


def contrast(image: Image.Image) -> float:
    return float(colour.rgb_to_yiq(image_to_tensor(image))[:, 0].std())


def variants(size: int, preset: str, fractions: list[float]) -> dict[str, StyleParams]:
    base = StyleParams(quality="balanced", size=size, preset=preset)
    out = {"balanced": base}
    for f in fractions:
        steps = refine_steps(QUALITY_PRESETS["balanced"], f)
        out[f"refine {f:g}"] = base.with_changes(init="preview", steps=steps)
    return out


def timed(
    engine: Engine, photo: Image.Image, painting: Image.Image, params: StyleParams
) -> tuple[StyleResult, float, float, float]:
    """The result, wall and CPU seconds, and the Gatys work: megapixel-steps, the unit of
    api/estimates.py, counted from the progress reports (one per step actually run)."""
    work = 0.0

    def count(p: Progress) -> None:
        nonlocal work
        work += p.size[0] * p.size[1] / 1e6

    engine.gatys.clear_cache()  # every run pays for its style targets
    started, cpu_started = time.perf_counter(), time.process_time()
    result = engine.stylize(photo, [painting], params, count)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return result, seconds, cpu, work if params.method == "gatys" else 0.0


def run_case(
    engine: Engine,
    photo: Image.Image,
    preset: str,
    size: int,
    fractions: list[float],
    repeats: int,
) -> tuple[list[dict], dict[str, Image.Image]]:
    painting = Image.open(get_preset(preset).path).convert("RGB")
    method = engine.preview_method(preset)
    assert method is not None
    jobs = {"preview": StyleParams(method=method, size=size, preset=preset)}
    jobs |= variants(size, preset, fractions)
    rows, images = [], {}
    for name, params in jobs.items():
        result, seconds, cpu, work = timed(engine, photo, painting, params)
        d = distances(result.image, photo, painting)
        photo_sized = photo.resize(result.image.size, Image.Resampling.LANCZOS)
        rows.append(
            {
                "variant": name,
                "seconds": [round(seconds, 2)],
                "cpu_seconds": [round(cpu, 2)],
                "steps": result.steps,
                "work": round(work, 3),
                "content": round(d["content"], 4),
                "style": round(d["style"], 4),
                "contrast": round(contrast(result.image) / contrast(photo_sized), 3),
            }
        )
        images[name] = result.image
        print(
            f"  {name:12s} {seconds:7.1f} s  steps {result.steps:4d}  "
            f"content {d['content']:.4f}  style {d['style']:.4f}",
            flush=True,
        )
    # The machine's load changes over minutes: more rounds, each over every variant in
    # turn, and the fastest of each (the runs are deterministic, so only time differs).
    for _ in range(repeats - 1):
        for row, params in zip(rows, jobs.values(), strict=True):
            _, seconds, cpu, _ = timed(engine, photo, painting, params)
            row["seconds"].append(round(seconds, 2))
            row["cpu_seconds"].append(round(cpu, 2))
        print("  again: " + ", ".join(f"{r['seconds'][-1]:.1f} s" for r in rows), flush=True)
    return rows, images


def strip(photo: Image.Image, images: dict[str, Image.Image]) -> Image.Image:
    """The photo and each variant side by side, named above."""
    cells = [("photo", photo.resize(next(iter(images.values())).size)), *images.items()]
    w, h = cells[0][1].size
    out = Image.new("RGB", (w * len(cells), h + 16), "white")
    draw = ImageDraw.Draw(out)
    for i, (name, img) in enumerate(cells):
        out.paste(img, (i * w, 16))
        draw.text((i * w + 4, 2), name, fill="black")
    return out


def _row(case: dict, variant: str) -> dict:
    return next(r for r in case["rows"] if r["variant"] == variant)


def summarise(cases: list[dict]) -> list[dict]:
    """Per variant: medians over cases, and ratios to the same case's `balanced`."""
    names = [r["variant"] for r in cases[0]["rows"]]
    table = []
    for name in names:
        pairs = [(_row(c, name), _row(c, "balanced")) for c in cases]
        table.append(
            {
                "variant": name,
                "seconds": statistics.median(min(r["seconds"]) for r, _ in pairs),
                "time_vs_balanced": statistics.median(
                    min(r["seconds"]) / min(b["seconds"]) for r, b in pairs
                ),
                "work_vs_balanced": statistics.median(r["work"] / b["work"] for r, b in pairs),
                "cpu_vs_balanced": statistics.median(
                    min(r["cpu_seconds"]) / min(b["cpu_seconds"]) for r, b in pairs
                ),
                "content": statistics.median(r["content"] for r, _ in pairs),
                "style": statistics.median(r["style"] for r, _ in pairs),
                "content_vs_balanced": statistics.median(
                    r["content"] / b["content"] for r, b in pairs
                ),
                "style_vs_balanced": statistics.median(r["style"] / b["style"] for r, b in pairs),
                "worst_content_vs_balanced": max(r["content"] / b["content"] for r, b in pairs),
                "worst_style_vs_balanced": max(r["style"] / b["style"] for r, b in pairs),
                "both_not_worse": sum(
                    r["content"] <= b["content"] and r["style"] <= b["style"] for r, b in pairs
                ),
                "cases": len(pairs),
                "contrast": statistics.median(r["contrast"] for r, _ in pairs),
            }
        )
    return table


def markdown(table: list[dict]) -> str:
    lines = [
        "| variant | s (median) | time / balanced | CPU time / balanced | work / balanced "
        "| content | style "
        "| content / balanced (worst) | style / balanced (worst) | both not worse | contrast |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in table:
        lines.append(
            f"| {t['variant']} | {t['seconds']:.1f} | {t['time_vs_balanced']:.2f} | "
            f"{t['cpu_vs_balanced']:.2f} | {t['work_vs_balanced']:.2f} | "
            f"{t['content']:.3f} | {t['style']:.3f} | {t['content_vs_balanced']:.2f} "
            f"({t['worst_content_vs_balanced']:.2f}) | {t['style_vs_balanced']:.2f} "
            f"({t['worst_style_vs_balanced']:.2f}) | {t['both_not_worse']}/{t['cases']} | "
            f"{t['contrast']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--photos", type=int, default=len(PHOTOS), help="the first N of PHOTOS")
    p.add_argument("--presets", nargs="*", help="default: every preset with a trained model")
    p.add_argument("--fractions", type=float, nargs="+", default=[0.3, 0.5, 0.7])
    p.add_argument("--repeats", type=int, default=2, help="timed rounds; the fastest counts")
    p.add_argument("--out", type=Path, help="JSON report (this size's entry is replaced)")
    p.add_argument("--images", type=Path, help="folder for one strip per case")
    args = p.parse_args(argv)

    engine = Engine.load("cpu")
    engine.warm_up()
    _network()  # the metrics' VGG, loaded before anything is timed
    presets = args.presets or sorted({s for v in engine.fast_models().values() for s in v})
    photos = PHOTOS[: args.photos]
    cases = []
    for path in photos:
        photo = Image.open(path).convert("RGB")
        for preset in presets:
            print(f"{path.stem} / {preset} at {args.size} px", flush=True)
            rows, images = run_case(engine, photo, preset, args.size, args.fractions, args.repeats)
            cases.append({"photo": path.name, "preset": preset, "rows": rows})
            if args.images:
                args.images.mkdir(parents=True, exist_ok=True)
                strip(photo, images).save(
                    args.images / f"{args.size}_{path.stem}_{preset}.jpg", quality=85
                )
            if args.out:  # after every case: a long run stopped early keeps what it measured
                save(args, cases)
    print(markdown(summarise(cases)))


def save(args: argparse.Namespace, cases: list[dict]) -> None:
    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    report.setdefault("runs", {})[str(args.size)] = {
        "settings": {
            "size": args.size,
            "quality": "balanced",
            "fractions": args.fractions,
            "repeats": args.repeats,
            "checkpoints": sorted(p.name for p in SHIPPED_CHECKPOINTS.glob("*.pt")),
            "threads": torch.get_num_threads(),
        },
        "summary": summarise(cases),
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
