"""Optical flow between consecutive frames, warping by it, and where it can be trusted.

Two estimators from OpenCV: DIS (Kroeger et al., ECCV 2016), fast enough to run on every
frame of a clip being stylized, and Farneback's (SCIA 2003), a different algorithm, for
the flicker score, so that the score does not grade the stabiliser with its own flow.
Occlusions are found by forward-backward consistency (Sundaram et al., ECCV 2010, the test
Ruder et al. 2016 and Lai et al. 2018 use): a pixel whose backward flow the forward flow
does not undo was hidden in one of the two frames. Motion boundaries, where the estimated
flow is smeared across an object's edge, are left out too (Ruder et al.'s second test).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

FlowMethod = Literal["dis", "farneback"]
# Sundaram et al.'s test: |w + w'|^2 <= 0.01 (|w|^2 + |w'|^2) + 0.5, flows in pixels.
CONSISTENCY_RELATIVE, CONSISTENCY_ABSOLUTE = 0.01, 0.5
BOUNDARY_RELATIVE, BOUNDARY_ABSOLUTE = 0.01, 0.002


@dataclass(frozen=True)
class FramePair:
    """How frame t relates to frame t-1: for each pixel of t, where it was in t-1."""

    flow: np.ndarray  # (H, W, 2) float32, pixels: t -> t-1
    valid: np.ndarray  # (H, W) bool: consistent both ways and inside frame t-1


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) uint8 luma, what the estimators read."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


class FlowEstimator:
    """Flow and its trusted pixels for frame pairs, by `method`."""

    def __init__(self, method: FlowMethod = "dis") -> None:
        if method not in ("dis", "farneback"):
            raise ValueError(f"flow method must be dis or farneback; got {method!r}")
        self.method = method
        preset = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM
        self._dis = cv2.DISOpticalFlow_create(preset) if method == "dis" else None

    def flow(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """(H, W) gray frames -> (H, W, 2) float32: each pixel of `source` moves by it."""
        if self._dis is not None:
            return self._dis.calc(source, target, None)
        return cv2.calcOpticalFlowFarneback(source, target, None, 0.5, 4, 15, 3, 5, 1.2, 0)

    def pair(self, previous: np.ndarray, current: np.ndarray) -> FramePair:
        """Gray frames t-1 and t -> the backward flow t -> t-1 and where it holds."""
        backward = self.flow(current, previous)
        forward = self.flow(previous, current)
        return FramePair(backward, consistent(backward, forward))


def _grid(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    h, w = shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs, ys


def warp(image: np.ndarray, flow: np.ndarray, cubic: bool = False) -> np.ndarray:
    """Sample `image` (frame t-1, (H, W, C)) at x + flow(x): it as seen from frame t."""
    xs, ys = _grid(flow.shape)
    interpolation = cv2.INTER_CUBIC if cubic else cv2.INTER_LINEAR
    return cv2.remap(
        image,
        xs + flow[..., 0],
        ys + flow[..., 1],
        interpolation,
        borderMode=cv2.BORDER_REPLICATE,
    )


def consistent(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Pixels of frame t whose trip to t-1 and back ends where it began, and which come
    from inside frame t-1 (a pan brings in pixels that were not in the last frame)."""
    h, w = backward.shape[:2]
    xs, ys = _grid(backward.shape)
    to_x, to_y = xs + backward[..., 0], ys + backward[..., 1]
    inside = (to_x >= 0) & (to_x <= w - 1) & (to_y >= 0) & (to_y <= h - 1)
    back_again = warp(forward, backward)  # the forward flow where each pixel went
    round_trip = np.square(backward + back_again).sum(-1)
    size = np.square(backward).sum(-1) + np.square(back_again).sum(-1)
    agrees = round_trip <= CONSISTENCY_RELATIVE * size + CONSISTENCY_ABSOLUTE
    return inside & agrees & ~motion_boundary(backward)


def motion_boundary(flow: np.ndarray) -> np.ndarray:
    """Where the flow changes sharply (an object's edge against the background): the
    estimators smooth flow across such edges, so it is wrong there (Ruder et al.'s second
    test: |grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002)."""
    gradient = sum(np.square(np.gradient(flow[..., c], axis=a)) for c in (0, 1) for a in (0, 1))
    return gradient > BOUNDARY_RELATIVE * np.square(flow).sum(-1) + BOUNDARY_ABSOLUTE
