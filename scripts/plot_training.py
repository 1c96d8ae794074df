"""Loss curves of training runs as PNG plots: one figure per run, a panel per loss term.

python scripts/plot_training.py runs/feedforward.csv [...] --out docs/images/training
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen here
import matplotlib.pyplot as plt  # noqa: E402

TERMS = ("total", "content", "style", "tv", "adv", "d")


def read_log(path: Path) -> dict[str, list[float]]:
    """The log's columns; a run resumed from an earlier state logs some steps again, and the
    later rows are the ones its weights went on from."""
    with path.open(newline="") as f:
        rows = {r["step"]: r for r in csv.DictReader(f)}  # the last row of each step wins
    ordered = sorted(rows.values(), key=lambda r: int(r["step"]))
    return {k: [float(r[k]) for r in ordered] for k in ordered[0]} if ordered else {}


def smooth(values: list[float], window: int) -> list[float]:
    """Trailing mean: batch losses of 4 random crops are noisy."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot(path: Path, out_dir: Path, window: int) -> Path:
    log = read_log(path)
    terms = [t for t in TERMS if t in log and any(log[t])]
    fig, axes = plt.subplots(1, len(terms), figsize=(3.2 * len(terms), 2.8), squeeze=False)
    for ax, term in zip(axes[0], terms, strict=True):
        ax.plot(log["step"], log[term], color="0.8", linewidth=0.8)
        ax.plot(log["step"], smooth(log[term], window), color="C0", linewidth=1.5)
        ax.set_title(term)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    minutes = log["seconds"][-1] / 60 if log.get("seconds") else 0
    fig.suptitle(f"{path.stem}: {int(log['step'][-1])} steps, {minutes:.0f} min")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"loss_{path.stem}.png"
    fig.savefig(target, dpi=100)
    plt.close(fig)
    return target


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("logs", type=Path, nargs="+", help="CSV logs written by stylize-train")
    p.add_argument("--out", type=Path, default=Path("docs/images/training"))
    p.add_argument("--window", type=int, default=10, help="points in the running mean")
    args = p.parse_args()
    for log in args.logs:
        print(plot(log, args.out, args.window))


if __name__ == "__main__":
    main()
