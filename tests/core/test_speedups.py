"""The engine's speed-ups keep results: plateau stop, batches of jobs, bf16 choice, size limits."""

from collections import deque

import numpy as np
import pytest
import torch

from core import devices, memory
from core.gatys import PLATEAU_WINDOW, GatysStylizer, _plateaued
from core.metrics import distances
from core.params import StyleParams
from core.stylizer import BatchItem, Cancelled
from tests.conftest import make_photo

SMALL = {"size": 64, "steps": 24, "quality": "fast", "early_stop": 0.0}


@pytest.fixture(scope="module")
def stylizer(vgg):
    return GatysStylizer(vgg, "cpu")


@pytest.fixture(scope="module")
def photos():
    return make_photo(96, 64, seed=1), make_photo(96, 64, seed=7)


@pytest.fixture(scope="module")
def style(painting):
    return painting.resize((80, 64))


def test_plateau_needs_a_full_window_and_a_small_fall():
    window: deque[float] = deque(maxlen=PLATEAU_WINDOW + 1)
    window.extend([1.0] * PLATEAU_WINDOW)
    assert not _plateaued(window, 0.01)  # not full yet
    window.append(0.999)
    assert _plateaued(window, 0.01)
    assert not _plateaued(window, 0.0)  # 0 turns it off
    window.append(0.5)
    assert not _plateaued(window, 0.01)  # still falling fast


def test_early_stop_skips_steps_and_progress_still_ends_at_total(stylizer, photos, style):
    # A tolerance this loose stops each scale as soon as the window is full.
    params = StyleParams(**SMALL | {"early_stop": 0.5})
    seen = []
    result = stylizer.stylize(photos[0], [style], params, progress=seen.append)
    full = stylizer.stylize(photos[0], [style], StyleParams(**SMALL))
    assert full.steps == 24
    assert result.steps < full.steps
    assert seen[-1].step == seen[-1].total_steps == 24
    assert [p.step for p in seen] == sorted(p.step for p in seen)


def test_batch_gives_each_job_its_own_result(stylizer, photos, style, painting):
    params = StyleParams(**SMALL)
    other_style = painting.transpose(0).resize((80, 64))
    singles = [
        stylizer.stylize(photos[0], [style], params),
        stylizer.stylize(photos[1], [other_style], params),
    ]
    batch = stylizer.stylize_batch(
        [BatchItem(photos[0], (style,)), BatchItem(photos[1], (other_style,))], params
    )
    assert len(batch) == 2 and all(r is not None for r in batch)
    for single, batched, photo, paint in zip(
        singles, batch, photos, (style, other_style), strict=True
    ):
        assert batched.image.size == single.image.size
        mine = distances(batched.image, photo, paint)
        alone = distances(single.image, photo, paint)
        # The optimiser sees the sum of both losses, so the path differs a little; the
        # distances reached must not.
        assert mine["style"] == pytest.approx(alone["style"], rel=0.15)
        assert mine["content"] == pytest.approx(alone["content"], rel=0.25, abs=0.02)
        # and each output is closer to its own photo than to the other job's
        other = photos[1] if photo is photos[0] else photos[0]
        assert mine["content"] < distances(batched.image, other, paint)["content"]


def test_a_cancelled_batch_item_drops_out_and_the_rest_finish(stylizer, photos, style):
    params = StyleParams(**SMALL)
    steps_seen: list[int] = []

    def cancel_at_three(p):
        steps_seen.append(p.step)
        if p.step == 3:
            raise Cancelled

    results = stylizer.stylize_batch(
        [BatchItem(photos[0], (style,), cancel_at_three), BatchItem(photos[1], (style,))], params
    )
    assert results[0] is None
    assert results[1] is not None and results[1].steps == 24
    assert steps_seen == [1, 2, 3]  # no reports after the cancellation


def test_a_batch_where_everyone_cancels_stops(stylizer, photos, style):
    def cancel(p):
        raise Cancelled

    with pytest.raises(Cancelled):
        stylizer.stylize_batch(
            [BatchItem(photos[0], (style,), cancel), BatchItem(photos[1], (style,), cancel)],
            StyleParams(**SMALL),
        )


def test_batch_rejects_mixed_shapes(stylizer, photos, style):
    tall = photos[0].transpose(2)  # 64x96: another shape at the same long side
    with pytest.raises(ValueError, match="one output shape"):
        stylizer.stylize_batch(
            [BatchItem(photos[0], (style,)), BatchItem(tall, (style,))], StyleParams(**SMALL)
        )


def test_cpu_autocast_follows_native_bf16_and_the_override(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.delenv("STYLIZE_AUTOCAST", raising=False)
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: True)
    assert devices.default_autocast(cpu) is torch.bfloat16
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: False)
    assert devices.default_autocast(cpu) is None
    monkeypatch.setenv("STYLIZE_AUTOCAST", "bf16")
    assert devices.default_autocast(cpu) is torch.bfloat16
    monkeypatch.setenv("STYLIZE_AUTOCAST", "off")
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: True)
    assert devices.default_autocast(cpu) is None


def test_channels_last_is_chosen_where_amx_runs_bf16(monkeypatch):
    cpu, bf16 = torch.device("cpu"), torch.bfloat16
    monkeypatch.delenv("STYLIZE_CHANNELS_LAST", raising=False)
    monkeypatch.setattr(devices, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    assert not devices.prefers_channels_last(cpu, bf16)  # no AMX: measured no faster
    monkeypatch.setattr(devices, "cpu_flags", lambda: frozenset({"amx_bf16", "amx_tile"}))
    assert devices.cpu_has_amx()
    assert devices.prefers_channels_last(cpu, bf16)
    assert not devices.prefers_channels_last(cpu, None)  # AMX multiplies bf16, not fp32
    assert devices.prefers_channels_last(torch.device("cuda"), None)
    monkeypatch.setenv("STYLIZE_CHANNELS_LAST", "off")
    assert not devices.prefers_channels_last(cpu, bf16)
    monkeypatch.setenv("STYLIZE_CHANNELS_LAST", "on")
    monkeypatch.setattr(devices, "cpu_flags", lambda: frozenset())
    assert devices.prefers_channels_last(cpu, None)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512f amx_bf16 amx_tile\n")
    assert devices._read_cpu_flags(info) == {"fpu", "avx512f", "amx_bf16", "amx_tile"}
    assert devices._read_cpu_flags(tmp_path / "missing") == frozenset()


# The flags lines of the three server CPUs this runs on (shortened), and two others.
CPUINFO = {
    "amx": "fpu sse2 avx2 fma avx512f avx512bw avx512_bf16 amx_bf16 amx_tile amx_int8",
    "avx512_bf16": "fpu sse2 avx2 fma avx512f avx512bw avx512vl avx512_bf16",
    "avx512": "fpu sse2 avx2 fma avx512f avx512bw avx512vl avx512dq",
    "avx2": "fpu sse2 avx avx2 fma f16c bmi2",
    "other": "fpu sse2 sse4_2",
}


@pytest.mark.parametrize("kind", CPUINFO)
def test_the_cpu_kind_and_native_bf16_come_from_cpuinfo_flags(kind, tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    info.write_text(f"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {CPUINFO[kind]}\n")
    flags = devices._read_cpu_flags(info)
    assert devices.cpu_kind(flags) == kind
    monkeypatch.setattr(devices, "cpu_flags", lambda: flags)
    native = kind in ("amx", "avx512_bf16")
    assert devices.native_bf16(torch.device("cpu")) is native
    # bf16 only where the CPU computes it: elsewhere the engine and the trainer stay in fp32.
    assert devices.default_autocast(torch.device("cpu")) is (torch.bfloat16 if native else None)


def test_memory_limit_refuses_a_job_before_any_work(stylizer, photos, style, monkeypatch):
    monkeypatch.setenv("STYLIZE_MEMORY_BYTES", str(64 * 48 * memory.BYTES_PER_PIXEL))
    cpu = torch.device("cpu")
    limit = memory.max_side(cpu, aspect=1.5)
    assert 40 < limit < 96
    seen = []
    with pytest.raises(memory.TooLargeForDevice, match="at most"):
        stylizer.stylize(photos[0], [style], StyleParams(**SMALL | {"size": 96}), seen.append)
    assert seen == []  # refused up front, not half way
    # a batch of two needs twice the memory
    assert memory.max_side(cpu, batch=2) < memory.max_side(cpu, batch=1)
    # and a job within the limit runs
    assert stylizer.stylize(photos[0], [style], StyleParams(**SMALL | {"size": 48})).steps == 24


def test_the_gpu_layout_gives_the_same_image_on_cpu(vgg, photos, style):
    # CUDA runs channels-last; the same code path on the CPU must agree with the default.
    params = StyleParams(**SMALL | {"steps": 8})
    plain = GatysStylizer(vgg, "cpu", channels_last=False).stylize(photos[0], [style], params)
    fast = GatysStylizer(vgg, "cpu", channels_last=True).stylize(photos[0], [style], params)
    a = torch.from_numpy(np.asarray(plain.image, dtype=np.float32))
    b = torch.from_numpy(np.asarray(fast.image, dtype=np.float32))
    # bf16 kernels differ per layout and L-BFGS carries the differences along: a level or
    # two of 255 on average, nothing visible; a layout bug would scramble the image.
    assert (a - b).abs().mean() < 3.0
