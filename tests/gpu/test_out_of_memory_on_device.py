"""CUDA running out of memory mid-job: that job fails with a message the user can act on,
what it held is freed, and the next job runs. The error is injected where an allocation
fails in practice, inside the engine's loss (as tests/api/test_out_of_memory.py does)."""

from __future__ import annotations

import weakref

import pytest
import torch

import core.losses
from core.devices import default_autocast
from core.engine import Engine
from core.memory import TooLargeForDevice
from core.params import StyleParams
from tests.gpu.conftest import stylizer_on

pytestmark = pytest.mark.gpu

SLACK_BYTES = 64 * 2**20  # what may stay allocated after the failed job (allocator rounding)


def fail_once(monkeypatch, error: BaseException, at_call: int) -> list[weakref.ref]:
    """The `at_call`-th Gram matrix raises `error` (the second step of a cached-style job);
    returns weak references to the activations the job had passed in by then."""
    real = core.losses.gram_matrix
    seen: list[weakref.ref] = []

    def gram_matrix(features: torch.Tensor) -> torch.Tensor:
        seen.append(weakref.ref(features))
        if len(seen) == at_call:
            raise error
        return real(features)

    monkeypatch.setattr(core.losses, "gram_matrix", gram_matrix)
    return seen


def test_out_of_memory_fails_that_job_and_the_next_one_runs(
    vgg, device, scale, photo, painting, monkeypatch
):
    engine = Engine(stylizer_on(vgg, device, default_autocast(device)))
    params = StyleParams(quality="fast", size=scale.side, steps=scale.steps, early_stop=0.0)
    engine.stylize(photo, [painting], params)  # as in a warm service: style targets cached
    held = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0

    oom = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    activations = fail_once(monkeypatch, oom, at_call=7)
    with pytest.raises(TooLargeForDevice, match="ran out of memory") as failure:
        engine.stylize(photo, [painting], params)
    # Freed even while the error is still held, as a worker holds it to report the job.
    assert failure.value is not None
    assert [ref() for ref in activations] == [None] * len(activations)
    if device.type == "cuda":
        assert torch.cuda.memory_allocated(device) <= held + SLACK_BYTES

    monkeypatch.undo()
    result = engine.stylize(photo, [painting], params)
    assert max(result.image.size) == scale.side
    assert result.steps == params.total_steps
