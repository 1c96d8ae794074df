"""`stylize-train`: train a one-pass stylizer on a folder of photos and paintings.

    stylize-train --method feedforward --content-dir data/photos \
        --style core/styles/starry_night.jpg --out starry_night.pt
    stylize-train --method adain --content-dir data/photos --style-dir data/styles \
        --style core/styles/*.jpg --out adain.pt
    stylize-train --method inverter --level relu3_1 --content-dir data/photos \
        --style-dir data/styles --out inverter_relu3_1.pt
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tqdm import tqdm

from core.devices import DEVICE_CHOICES
from core.models import TRAINABLE_METHODS
from core.models.cascade import LEVELS
from core.training.factory import trainer_for
from core.training.trainer import TrainConfig

DEFAULTS = TrainConfig(method="feedforward", content_dir=Path(), styles=[], out=Path())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stylize-train", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--method", choices=TRAINABLE_METHODS, required=True)
    p.add_argument("--content-dir", type=Path, required=True, help="folder tree of photos")
    p.add_argument("--style", type=Path, nargs="+", default=[], help="painting(s)")
    p.add_argument(
        "--style-dir", type=Path, nargs="+", default=[],
        help="adain, transformer: folders of paintings (a random one per sample)",
    )  # fmt: skip
    p.add_argument(
        "--reconstruct", type=float, default=DEFAULTS.reconstruct,
        help="adain, transformer: fraction of samples that must give back their photo "
        "(1: a photos-only decoder, no paintings needed)",
    )  # fmt: skip
    p.add_argument("--pixel-weight", type=float, default=DEFAULTS.pixel_weight,
                   help="adain, transformer: weight of the reconstruction term")  # fmt: skip
    p.add_argument(
        "--temporal-weight", type=float, default=DEFAULTS.temporal_weight,
        help="weight of the temporal term: a slightly moved photo painted alike",
    )  # fmt: skip
    p.add_argument("--out", type=Path, required=True, help="checkpoint to write (.pt)")
    p.add_argument("--size", type=int, default=DEFAULTS.size, help="training crop side in px")
    p.add_argument("--batch", type=int, default=DEFAULTS.batch)
    p.add_argument("--iterations", type=int, default=DEFAULTS.iterations)
    p.add_argument("--lr", type=float, default=DEFAULTS.lr, help="the stylizer's learning rate")
    p.add_argument("--lr-d", type=float, default=DEFAULTS.lr_d, help="gan: the discriminator's")
    p.add_argument("--content-weight", type=float, default=DEFAULTS.content_weight)
    p.add_argument(
        "--style-weight", type=float, nargs="+", default=[DEFAULTS.style_weight],
        help="one weight for every painting, or one per --style painting, in its order",
    )  # fmt: skip
    p.add_argument("--tv-weight", type=float, default=DEFAULTS.tv_weight)
    p.add_argument("--adv-weight", type=float, default=DEFAULTS.adv_weight, help="gan only")
    p.add_argument("--clip-grad", type=float, default=DEFAULTS.clip_grad,
                   help="clip the gradient norm to this (0: off)")  # fmt: skip
    p.add_argument("--lr-schedule", choices=("constant", "cosine"), default=DEFAULTS.lr_schedule,
                   help="cosine: decay the learning rate to 0 at the last iteration")  # fmt: skip
    p.add_argument("--width", type=int, help="network width (channels of the first layer)")
    p.add_argument("--blocks", type=int, help="residual blocks of the decoder")
    p.add_argument("--dim", type=int, help="transformer: attention key width")
    p.add_argument("--level", choices=LEVELS, help="inverter: the VGG19 level it decodes")
    p.add_argument("--device", choices=DEVICE_CHOICES, default=DEFAULTS.device)
    p.add_argument("--seed", type=int, default=DEFAULTS.seed)
    p.add_argument("--resume", type=Path, help="a .train state written by an earlier run")
    p.add_argument(
        "--init-from",
        type=Path,
        help="start from a trained checkpoint's network (same paintings; any for the transformer)",
    )
    p.add_argument(
        "--tune-only", nargs="+", default=[], metavar="PAINTING",
        help="train only these paintings' scale and shift (file stems) in the --init-from "
        "network; the other presets stay exactly as they were",
    )  # fmt: skip
    p.add_argument("--sample-every", type=int, default=DEFAULTS.sample_every)
    p.add_argument("--checkpoint-every", type=int, default=DEFAULTS.checkpoint_every)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    names = {"feedforward": ("width", "blocks"), "gan": ("width", "blocks")}
    names |= {"adain": (), "transformer": ("dim",), "inverter": ("level",)}
    model = {k: getattr(args, k) for k in names[args.method] if getattr(args, k) is not None}
    return TrainConfig(
        method=args.method,
        content_dir=args.content_dir,
        styles=list(args.style),
        out=args.out,
        size=args.size,
        batch=args.batch,
        iterations=args.iterations,
        lr=args.lr,
        lr_d=args.lr_d,
        content_weight=args.content_weight,
        style_weight=args.style_weight[0],
        style_weights=args.style_weight if len(args.style_weight) > 1 else None,
        tv_weight=args.tv_weight,
        adv_weight=args.adv_weight,
        clip_grad=args.clip_grad,
        lr_schedule=args.lr_schedule,
        device=args.device,
        seed=args.seed,
        resume=args.resume,
        init_from=args.init_from,
        tune_only=list(args.tune_only),
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        model=model,
        style_dirs=list(args.style_dir),
        reconstruct=args.reconstruct,
        pixel_weight=args.pixel_weight,
        temporal_weight=args.temporal_weight,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        config = config_from_args(args)
        bars: list[tqdm] = []  # made once the trainer has checked everything and loaded

        def on_step(step: int, losses: dict) -> None:
            bar = bars[0]
            bar.n = step
            bar.set_postfix({k: f"{v:.3f}" for k, v in losses.items()}, refresh=False)
            bar.refresh()

        trainer = trainer_for(config, on_step)
        bars.append(tqdm(total=config.iterations, initial=trainer.step, disable=args.quiet))
        out = trainer.run()
        bars[0].close()
    except ValueError as exc:
        sys.stderr.write(f"stylize-train: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("stylize-train: interrupted (resume from the .train file)\n")
        return 130
    sys.stdout.write(f"{out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
