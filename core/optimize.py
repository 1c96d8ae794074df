"""Optimisers over the image: L-BFGS (the paper's choice) and Adam with iterate averaging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

# The objective and whatever per-step figures the caller wants back (losses for progress).
LossFn = Callable[[torch.Tensor], tuple[torch.Tensor, Any]]
DEFAULT_LR = {"lbfgs": 1.0, "adam": 4.0}  # Adam's step is in 0..255 pixel units


class ImageOptimizer:
    """Steps an image tensor against a loss, one function evaluation per `step()`."""

    def __init__(
        self,
        image: torch.Tensor,
        kind: str,
        lr: float | None = None,
        loss_scale: float = 1.0,
        first_step: float | None = None,
    ) -> None:
        """`first_step`: mean |change| per value (0..255 pixel units) of L-BFGS's first step;
        None keeps torch's, 1/||g||_1 long."""
        # Plain contiguous layout: L-BFGS flattens the gradient with view(), which a
        # channels-last tensor refuses; the network gets its own layout per call.
        self.image = image.detach().clone(memory_format=torch.contiguous_format)
        self.image.requires_grad_(True)
        self.kind = kind
        lr = DEFAULT_LR[kind] if lr is None else lr
        if kind == "lbfgs":
            # max_iter=1: one evaluation per call so progress and cancellation run every step;
            # the curvature history lives in the optimizer's state across calls. Tolerances
            # are off because relative losses are small numbers and must not stop the run.
            self.optimizer: torch.optim.Optimizer = torch.optim.LBFGS(
                [self.image], lr=lr, max_iter=1, history_size=50,
                tolerance_grad=-1.0, tolerance_change=-1.0,
            )  # fmt: skip
        elif kind == "adam":
            self.optimizer = torch.optim.Adam([self.image], lr=lr, betas=(0.9, 0.99))
        else:
            raise ValueError(f"optimizer must be 'lbfgs' or 'adam', got {kind!r}")
        # Adam's last iterate jitters around the optimum; an exponential average of the
        # iterates is smoother and lower in loss (Polyak averaging).
        self.average = self.image.detach().clone() if kind == "adam" else None
        self.steps_done = 0
        self.loss_scale = loss_scale
        # torch's first L-BFGS step is 1/||g||_1 long: far under a pixel level, so under bf16
        # the first curvature pair can be rounding noise. From a trained model's output that
        # sent the second step to a loss of 1e10 (docs/engine.md, "Refining the preview").
        # torch takes min(1, 1/||g||_1) * lr, so this lr gives a mean |step| of first_step.
        self._first_lr = None
        if kind == "lbfgs" and first_step is not None:
            self._first_lr = lr * first_step * image.numel()

    def step(self, loss_fn: LossFn) -> Any:
        terms: Any = None

        def closure() -> torch.Tensor:
            nonlocal terms
            self.optimizer.zero_grad(set_to_none=True)
            loss, terms = loss_fn(self.image)
            # L-BFGS skips curvature updates when s.y < 1e-10; relative losses are small
            # numbers, so the objective it sees is scaled up to keep those updates alive.
            (loss * self.loss_scale).backward()
            return loss * self.loss_scale

        group = self.optimizer.param_groups[0]
        lr = group["lr"]
        if self._first_lr is not None and self.steps_done == 0:
            group["lr"] = self._first_lr
        self.optimizer.step(closure)
        group["lr"] = lr
        self.steps_done += 1
        if self.average is not None:
            decay = min(0.95, self.steps_done / (self.steps_done + 10))
            self.average.mul_(decay).add_(self.image.detach(), alpha=1 - decay)
        return terms

    def result(self) -> torch.Tensor:
        return (self.average if self.average is not None else self.image).detach()
