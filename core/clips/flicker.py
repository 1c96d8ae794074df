"""How much a stylized clip flickers: the warping error of Lai et al. (ECCV 2018).

For each pair of consecutive frames t-1, t, the optical flow of the ORIGINAL clip says
where each pixel of frame t was in frame t-1; output frame t-1 is warped by it to frame
t, and the error is the mean squared difference to output frame t over the pixels where
the flow is trusted (consistent forward and backward, coming from inside the frame):

    E = 1/(T-1) sum_t  sum_i M_t(i) * mean_c (O_t(i,c) - warp(O_{t-1})(i,c))^2 / sum_i M_t(i)

with RGB in 0..1 and the mean taken over the three channels (Lai et al. sum them; a mean
keeps the score in 0..1: multiply by 3 to compare). The untouched clip scores about 0
(the flow explains it), a clip of unrelated frames about 2 var(pixel) (~0.1-0.2).
The flow is Farneback's, not the DIS flow the stabiliser uses (core/clips/flow.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.clips.flow import FlowEstimator, FlowMethod, to_gray, warp


@dataclass(frozen=True)
class FlickerScore:
    """The warping error and what it was measured on."""

    error: float  # mean over pairs; 0 = every change explained by the original's motion
    pairs: int  # consecutive pairs with at least one trusted pixel
    trusted: float  # mean fraction of pixels the flow was trusted on


class FlickerMeter:
    """Accumulates the warping error frame by frame, so a clip is never held whole."""

    def __init__(self, method: FlowMethod = "farneback") -> None:
        self._flow = FlowEstimator(method)
        self._previous: tuple[np.ndarray, np.ndarray] | None = None  # gray original, output
        self._errors: list[float] = []
        self._trusted: list[float] = []

    def update(self, original: Image.Image, output: Image.Image) -> None:
        """Add the next frame: the clip's own and the stylized one (any size: the
        original is brought to the output's)."""
        out = np.asarray(output.convert("RGB"), np.float32) / 255  # (H, W, 3) 0..1
        if original.size != output.size:
            original = original.resize(output.size, Image.Resampling.BILINEAR)
        gray = to_gray(np.asarray(original.convert("RGB")))
        if self._previous is not None:
            previous_gray, previous_out = self._previous
            pair = self._flow.pair(previous_gray, gray)
            trusted = int(pair.valid.sum())
            self._trusted.append(trusted / pair.valid.size)
            if trusted:
                error = np.square(out - warp(previous_out, pair.flow)).mean(-1)
                self._errors.append(float(error[pair.valid].mean()))
        self._previous = (gray, out)

    def result(self) -> FlickerScore:
        if not self._errors:
            raise ValueError("the flicker score needs two frames or more with motion it can follow")
        return FlickerScore(
            float(np.mean(self._errors)), len(self._errors), float(np.mean(self._trusted))
        )


def warping_error(
    originals: Iterable[Image.Image],
    outputs: Iterable[Image.Image],
    method: FlowMethod = "farneback",
) -> FlickerScore:
    """The flicker score of `outputs` (stylized frames) against the clip they came from."""
    meter = FlickerMeter(method)
    for original, output in zip(originals, outputs, strict=True):
        meter.update(original, output)
    return meter.result()
