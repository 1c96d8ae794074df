"""Steady strokes from frame to frame: painted keyframes carried along a clip's motion.

A one-pass network paints every frame afresh, and small changes in the photo move its
strokes: the clip flickers. Averaging each painted frame with the previous output carried by
the optical flow steadies it, but lays two sets of strokes over each other and softens them
(at 480p a sixth of the flicker cost 16% in style distance: docs/video.md).

Here two sets of strokes are never averaged for long. A painted frame becomes a keyframe
and is carried along the optical flow of the ORIGINAL frames: the flow is composed from frame
to frame and the keyframe sampled once, so repeated resampling does not blur it. Every
`period` frames a newer keyframe replaces it, region by region, in the order of a smooth
random field that moves with the scene: the advected textures of Neyret (2003), which renew
a texture carried by a flow before the flow stretches it. A keyframe lives at most two
periods, so a zoom hardly enlarges its strokes. Where the older and newer strokes mix, their
detail (above a 3 px blur) gets back the contrast either has alone, as in the
variance-preserving blending of Heitz & Neyret (2018). Where the flow has not been trusted
since the keyframe (what the camera uncovers, an occlusion) the newer keyframe or else the
fresh frame stands in, and a cut (a frame the flow hardly reaches) starts anew.

`temporal` (0..1) sets the period: 0 is the frame-by-frame output, 1 a keyframe every
MAX_PERIOD frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from core.clips.flow import FlowEstimator, to_gray, warp

MAX_PERIOD = 6.0  # frames between keyframes at temporal 1
SWITCH_SHARE = 0.125  # of a period: how long one pixel takes to go over to the newer keyframe
PHASE_CELL = 96  # px: the size of the regions that go over together
CUT = 0.25  # a frame whose flow from the last one holds on less than this share is a new shot
DETAIL_BLUR, ENERGY_BLUR = 3.0, 8.0  # px (Gaussian sigma): detail band; contrast measured over


def period_of(temporal: float) -> float:
    """Frames between keyframes for a `temporal` setting (1 = every frame is a keyframe)."""
    return 1 + temporal * (MAX_PERIOD - 1)


@dataclass
class _Keyframe:
    """A painted frame and, for every pixel of the current frame, where it is in it."""

    painted: np.ndarray  # (H, W, 3) float32 0..1, as painted at `born`
    offset: np.ndarray  # (H, W, 2) float32 px: current frame -> this keyframe
    trusted: np.ndarray  # (H, W) bool: the flow held at every frame since `born`
    phase: np.ndarray  # (H, W) float32 0..1 in the keyframe: when each region goes over
    born: int  # frame index
    frames: int  # frames until the next keyframe is born
    shown: np.ndarray | None = None  # (H, W, 3): what it gave the last frame, moved here
    shown_held: np.ndarray | None = None  # (H, W) bool: the flow held from there to here

    @property
    def renewed_at(self) -> int:
        """The frame at which the next keyframe is born."""
        return self.born + self.frames

    def follow(self, flow: np.ndarray, valid: np.ndarray) -> None:
        """One frame on: `flow` takes each pixel of the new frame to the previous one."""
        self.offset = flow + warp(self.offset, flow)
        self.trusted = valid & (warp(self.trusted.astype(np.float32), flow) > 0.99)
        if self.shown is not None:
            self.shown, self.shown_held = warp(self.shown, flow, cubic=True), valid

    def carried(self, fresh: np.ndarray) -> np.ndarray:
        """The keyframe as seen from the current frame (cubic: sampled once, kept sharp).
        Where the flow lost it (what the camera uncovered, an occlusion) what stood there
        in the last frame is carried on where the flow holds, so an uncovered strip is not
        repainted at every frame; else the fresh frame."""
        stand_in = fresh
        if self.shown is not None and self.shown_held is not None:
            stand_in = np.where(self.shown_held[..., None], self.shown, fresh)
        sampled = warp(self.painted, self.offset, cubic=True)
        self.shown = np.where(self.trusted[..., None], sampled, stand_in)
        return self.shown


class Stabiliser:
    """Carries painted keyframes along the original's flow, renewing them every period."""

    def __init__(self, temporal: float, flow: FlowEstimator | None = None) -> None:
        if not 0 <= temporal <= 1:
            raise ValueError(f"temporal must be between 0 and 1, got {temporal:g}")
        self.temporal = temporal
        self.period = period_of(temporal)
        self._flow = flow or FlowEstimator("dis")
        self._previous_gray: np.ndarray | None = None
        self._keyframes: list[_Keyframe] = []  # the older one and the newer, at most
        self._frame = 0

    def __call__(self, original: torch.Tensor, stylized: torch.Tensor) -> torch.Tensor:
        """(3, H, W) 0..1 original and stylized frame t -> the steadied frame t, same shape."""
        if self.temporal == 0:
            return stylized  # no flow needed: frame by frame
        gray = to_gray(_to_uint8(original))
        fresh = np.ascontiguousarray(stylized.permute(1, 2, 0).float().cpu().numpy())
        if self._previous_gray is not None:
            pair = self._flow.pair(self._previous_gray, gray)
            if pair.valid.mean() < CUT:
                self._keyframes = []  # a cut: nothing of the last shot is carried over
            for keyframe in self._keyframes:
                keyframe.follow(pair.flow, pair.valid)
        if not self._keyframes or self._frame >= self._keyframes[-1].renewed_at:
            self._keyframes = [*self._keyframes[-1:], self._new_keyframe(fresh)]
        out = self._compose(fresh)
        self._previous_gray, self._frame = gray, self._frame + 1
        return torch.from_numpy(np.clip(out, 0, 1)).permute(2, 0, 1)

    def _new_keyframe(self, fresh: np.ndarray) -> _Keyframe:
        index = math.floor(self._frame / self.period + 1e-9)
        frames = max(1, math.ceil((index + 1) * self.period - 1e-9) - self._frame)
        h, w = fresh.shape[:2]
        return _Keyframe(
            painted=fresh,
            offset=np.zeros((h, w, 2), np.float32),
            trusted=np.ones((h, w), bool),
            phase=_phase_field(h, w, seed=index),
            born=self._frame,
            frames=frames,
        )

    def _compose(self, fresh: np.ndarray) -> np.ndarray:
        if len(self._keyframes) == 1:
            return self._keyframes[0].carried(fresh)
        older, newer = self._keyframes
        switch = SWITCH_SHARE * newer.frames
        # Each pixel goes over at its phase, within the newer keyframe's own period.
        phase = warp(newer.phase, newer.offset)
        age = self._frame - newer.born
        weight = np.clip((age + 1 - phase * (newer.frames - switch)) / switch, 0, 1)
        # Where the flow lost the older keyframe, the newer one stands in, else the fresh frame.
        b = newer.carried(fresh)
        return _mix_keeping_contrast(older.carried(b), b, weight)


def _mix_keeping_contrast(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(1 - weight) a + weight b, with the detail's local contrast raised back to the mean
    of a's and b's: two unrelated sets of strokes averaged lose 1/sqrt(w^2 + (1-w)^2) of it,
    two alike lose nothing (the gain is measured, and kept between those bounds)."""
    w = weight[..., None]
    mixed = a + w * (b - a)
    if not ((weight > 0) & (weight < 1)).any():
        return mixed
    low = _blur(mixed, DETAIL_BLUR)
    detail = mixed - low
    detail_a, detail_b = a - _blur(a, DETAIL_BLUR), b - _blur(b, DETAIL_BLUR)
    wanted = (1 - weight) * np.square(detail_a).sum(-1) + weight * np.square(detail_b).sum(-1)
    got = np.square(detail).sum(-1)
    ratio = _blur(wanted, ENERGY_BLUR) / np.maximum(_blur(got, ENERGY_BLUR), 1e-10)
    ceiling = 1 / np.sqrt(np.square(1 - weight) + np.square(weight))
    gain = np.clip(np.sqrt(ratio), 1, ceiling)
    return low + detail * gain[..., None]


def _phase_field(h: int, w: int, seed: int) -> np.ndarray:
    """Smooth random values 0..1, spread evenly: regions of about PHASE_CELL px."""
    rows, cols = max(2, round(h / PHASE_CELL)), max(2, round(w / PHASE_CELL))
    coarse = np.random.default_rng(seed).random((rows, cols))
    ranks = coarse.ravel().argsort().argsort().reshape(rows, cols)  # even spread
    coarse = ((ranks + 0.5) / ranks.size).astype(np.float32)
    return np.clip(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def _to_uint8(frame: torch.Tensor) -> np.ndarray:
    """(3, H, W) 0..1 -> (H, W, 3) uint8."""
    return (frame.permute(1, 2, 0).clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu().numpy()
