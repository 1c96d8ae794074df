"""How long a job will take, by its method and output size, learnt from finished jobs.

Each method has its own unit of work: Gatys pays per optimiser step over the output's
pixels (megapixel-steps), a trained model makes one pass over them (megapixels). Speeds are
seconds per unit, per method, from that method's finished jobs, so one slow Gatys job never
makes a feed-forward job look slow.
"""

from __future__ import annotations

import threading

from core.params import StyleParams

# Seconds per megapixel for one pass of a trained model on the slowest supported host
# (2-core CPU, docs/models.md: 0.22, 0.24 and 0.41 s at 512x384): about a second at the
# default MAX_SIZE (1024 px), so a first job of these methods is waited for. Gatys gets no
# prior: from a GPU to a small CPU its speed spans two orders of magnitude, and a wrong guess
# would send clients of POST /stylize away from jobs that finish in time.
PRIORS: dict[str, float] = {"feedforward": 1.2, "gan": 1.3, "adain": 1.5, "transformer": 2.1}
# A clip's frame costs more than a picture of its size: decoding, the optical flow that
# steadies it and encoding come on top (benchmarks/clip_speed.py).
CLIP_OVERHEAD = 1.6
PRIORS |= {f"{method} clip": rate * CLIP_OVERHEAD for method, rate in PRIORS.items()}
_KEEP = 0.5  # weight of the previous speed against the newest job's


def output_pixels(size: tuple[int, int], long_side: int) -> float:
    """Pixels of an output whose long side is `long_side`, for a photo of `size` (w, h)."""
    w, h = size
    return long_side * long_side * min(w, h) / max(w, h)


def job_work(params: StyleParams, size: tuple[int, int]) -> float:
    """A job's work in its method's unit: megapixel-steps for gatys, else megapixels."""
    if params.method == "gatys":
        return sum(output_pixels(size, side) * n for side, n in params.schedule()) / 1e6
    return output_pixels(size, params.output_size) / 1e6


def clip_work(params: StyleParams, size: tuple[int, int], frames: int) -> float:
    """A clip's work: megapixels of one painted frame, times its frames."""
    return output_pixels(size, params.output_size) * frames / 1e6


def speed_key(method: str, kind: str) -> str:
    """Speeds are learnt apart for pictures and clips of each method."""
    return f"{method} clip" if kind == "clip" else method


class Durations:
    """Seconds per unit of work for each method; thread-safe (the worker learns, routes ask)."""

    def __init__(self, priors: dict[str, float] | None = None) -> None:
        self._rates = dict(PRIORS if priors is None else priors)
        self._learnt: set[str] = set()
        self._lock = threading.Lock()

    def observe(self, method: str, work: float, seconds: float) -> None:
        """A finished job of `method`: `work` units in `seconds`."""
        rate = seconds / max(work, 1e-6)
        with self._lock:
            old = self._rates.get(method) if method in self._learnt else None
            self._rates[method] = rate if old is None else _KEEP * old + (1 - _KEEP) * rate
            self._learnt.add(method)

    def rate(self, method: str) -> float | None:
        """Seconds per unit of work, or None while nothing is known for `method`."""
        with self._lock:
            return self._rates.get(method)

    def estimate(self, method: str, work: float) -> float | None:
        """Seconds a job of `work` units will take; None while the method's speed is unknown."""
        rate = self.rate(method)
        return None if rate is None else rate * work
