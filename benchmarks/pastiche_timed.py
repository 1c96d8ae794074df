"""pastiche's own command line, timed from inside its process.

    python benchmarks/pastiche_timed.py TIMES.json PASTICHE-ARGUMENTS...

Runs pastiche's unchanged `main()` and writes to TIMES.json:
- `per_image_s`: from VGG19 loaded (and warmed by one small pass) to the output saved:
  reading the images, their targets, every step, saving; what a warm, in-process program
  would pay per image;
- `step_s`: the seconds of each optimiser step.
Both are differences of one monotonic clock around work inside this one process, so they
stay positive however busy the machine (a start-up measured in another process and
subtracted does not: it went negative under load).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch
from pastiche import pastiche


def main(argv: list[str]) -> int:
    out, pastiche_args = Path(argv[0]), argv[1:]
    marks: dict[str, float] = {}
    steps: list[float] = []
    load_vgg = pastiche.VGG19.from_quantized_bin
    save_image = pastiche.save_image
    draw = pastiche.PasticheArtist.draw

    def loaded_and_warmed(*args: object, **kwargs: object) -> pastiche.VGG19:
        vgg = load_vgg(*args, **kwargs)
        # One small L-BFGS step: first-call kernel set-up and the optimiser's lazy imports
        # (about a second) are start-up too. Gradients for the input only, as pastiche's.
        for p in vgg.parameters():
            p.requires_grad_(False)
        x = torch.zeros(1, 3, 32, 32, requires_grad=True)
        warm_up = torch.optim.LBFGS([x], max_iter=1)

        def closure() -> torch.Tensor:
            warm_up.zero_grad()
            loss = sum(t.sum() for t in vgg.forward(x).values())
            loss.backward()
            return loss

        warm_up.step(closure)
        marks["ready"] = time.perf_counter()
        return vgg

    def timed_draw(self: pastiche.PasticheArtist) -> None:
        started = time.perf_counter()
        draw(self)
        steps.append(time.perf_counter() - started)

    def saved(*args: object, **kwargs: object) -> None:
        save_image(*args, **kwargs)
        marks["saved"] = time.perf_counter()  # the last save is the output

    pastiche.VGG19.from_quantized_bin = staticmethod(loaded_and_warmed)  # type: ignore[method-assign]
    pastiche.save_image = saved
    pastiche.PasticheArtist.draw = timed_draw  # type: ignore[method-assign]
    code = pastiche.main(["pastiche", *pastiche_args])
    report = {"per_image_s": marks["saved"] - marks["ready"], "step_s": steps}
    out.write_text(json.dumps(report))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
