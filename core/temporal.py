"""Steady strokes from frame to frame: flow-guided blending of a clip's stylized frames.

A one-pass network paints every frame afresh, and small changes in the photo move its
strokes: the clip flickers. Here each stylized frame is blended with the previous OUTPUT
frame warped by the optical flow of the ORIGINAL frames, where that flow is trusted
(forward-backward consistent, from inside the frame); elsewhere (what the camera or an
object uncovers) the fresh frame stands alone:

    out_t = s_t + temporal * M_t * (warp(out_{t-1}) - s_t)

A recursive filter along the motion (the inference-time half of what ReCoNet, Gao et al.
2018, and Ruder et al. 2016 enforce with a temporal loss): strokes follow the scene instead
of dancing, while a change of scene or a new object comes in at once where the flow breaks.
With `temporal` = 0 it is the plain frame-by-frame output.
"""

from __future__ import annotations

import numpy as np
import torch

from core.flow import FlowEstimator, to_gray, warp


class Stabiliser:
    """Blends each stylized frame with the last output carried along the original's flow."""

    def __init__(self, temporal: float, flow: FlowEstimator | None = None) -> None:
        if not 0 <= temporal <= 1:
            raise ValueError(f"temporal must be between 0 and 1, got {temporal:g}")
        self.temporal = temporal
        self._flow = flow or FlowEstimator("dis")
        self._previous: tuple[np.ndarray, np.ndarray] | None = None  # gray original, output

    def __call__(self, original: torch.Tensor, stylized: torch.Tensor) -> torch.Tensor:
        """(3, H, W) 0..1 original and stylized frame t -> the steadied frame t, same shape."""
        if self.temporal == 0:
            return stylized  # no flow needed: frame by frame
        gray = to_gray(_to_uint8(original))
        out = stylized.permute(1, 2, 0).float().cpu().numpy()  # (H, W, 3) 0..1
        if self._previous is not None:
            previous_gray, previous_out = self._previous
            pair = self._flow.pair(previous_gray, gray)
            # Cubic, not bilinear: the carried frame is resampled again at every frame,
            # and bilinear interpolation would blur its strokes a little more each time.
            carried = warp(previous_out, pair.flow, cubic=True)
            weight = (self.temporal * pair.valid)[..., None].astype(np.float32)
            out = np.clip(out + weight * (carried - out), 0, 1)
        self._previous = (gray, out)
        return torch.from_numpy(np.ascontiguousarray(out)).permute(2, 0, 1)


def _to_uint8(frame: torch.Tensor) -> np.ndarray:
    """(3, H, W) 0..1 -> (H, W, 3) uint8."""
    return (frame.permute(1, 2, 0).clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu().numpy()
