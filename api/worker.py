"""The one thread that owns the device and runs jobs, one at a time, from the in-process queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from PIL import Image

from api.clips import paint_clip
from api.estimates import clip_work, job_work, speed_key
from api.jobs import InProcessQueue, JobInput, JobRecord
from api.logs import job_id_var
from api.metrics import Metrics
from core.clips.video import ClipLimits
from core.images import encode_image
from core.stylizer import (
    BatchItem,
    Cancelled,
    Progress,
    ProgressCallback,
    Stylizer,
)

if TYPE_CHECKING:
    from core.clips.stylize import ClipProgress

log = logging.getLogger("api.worker")
PREVIEW_SIDE = 384
CLIP_PREVIEW_EVERY_S = 0.5  # a painted frame as the preview at most this often


def preview_jpeg(image: Image.Image | None) -> bytes | None:
    if image is None:
        return None
    img = image.copy()
    img.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return encode_image(img, "jpeg", quality=80)


def preview_bytes(progress: Progress) -> bytes | None:
    return preview_jpeg(progress.preview)


class ClipReporter:
    """A clip's progress per frame, with a painted frame as the preview now and then; raises
    Cancelled once the job is cancelled (checked after every frame)."""

    def __init__(self, report: Callable[[int, int, bytes | None], None], cancelled) -> None:
        self.report, self.cancelled = report, cancelled
        self._last_preview = -CLIP_PREVIEW_EVERY_S

    def __call__(self, p: ClipProgress) -> None:
        if self.cancelled():
            raise Cancelled
        total = max(p.total_frames, p.frame)
        preview = None
        if p.seconds - self._last_preview >= CLIP_PREVIEW_EVERY_S or p.frame == total:
            preview, self._last_preview = preview_jpeg(p.preview), p.seconds
        self.report(p.frame, total, preview)


class Worker(threading.Thread):
    """Runs jobs from `queue` with `stylizer` until `stop()`; never on the event loop."""

    def __init__(
        self,
        queue: InProcessQueue,
        stylizer: Stylizer,
        metrics: Metrics,
        batch_max: int = 1,
        clip_limits: ClipLimits | None = None,
    ) -> None:
        super().__init__(name="stylize-worker", daemon=True)
        self.queue = queue
        self.stylizer = stylizer
        self.metrics = metrics
        self.clip_limits = clip_limits or ClipLimits()
        # Batches only where the engine can run them (the Gatys engine's stylize_batch).
        self.batch_max = batch_max if hasattr(stylizer, "stylize_batch") else 1
        self._stop_event = threading.Event()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self.queue.close()
        self.join(timeout)

    def run(self) -> None:
        while not self._stop_event.is_set():
            taken = self.queue.take_batch(self._batch_key, self.batch_max, timeout=0.5)
            if not taken:
                continue
            token = job_id_var.set(",".join(record.id for record, _, _ in taken))
            try:
                if len(taken) == 1:
                    record, job, cancel = taken[0]
                    self._run_one(record.id, job, cancel)
                else:
                    self._run_batch(taken)
            finally:
                job_id_var.reset(token)

    def _batch_key(self, job: JobInput) -> Hashable | None:
        if job.clip is not None:
            return None  # a clip runs alone, frames batched by core.clips.stylize
        return self.stylizer.batch_key(job.content, job.params)  # type: ignore[attr-defined]

    def _on_progress(self, job_id: str, cancel: threading.Event) -> ProgressCallback:
        def on_progress(p: Progress) -> None:
            if cancel.is_set():
                raise Cancelled
            self.queue.update(job_id, p.step, p.total_steps, preview_bytes(p))

        return on_progress

    def _paint(self, job_id: str, job: JobInput, cancel: threading.Event) -> tuple[bytes, int]:
        """The job's encoded result and its steps (frames for a clip)."""
        if job.clip is not None:
            frames = [0]

            def report(frame: int, total: int, preview: bytes | None) -> None:
                frames[0] = frame
                self.queue.update(job_id, frame, total, preview)

            data = paint_clip(
                self.stylizer,
                job.clip,
                job.styles,
                job.params,
                job.format,  # type: ignore[arg-type]
                self.clip_limits,
                ClipReporter(report, cancel.is_set),
            )
            return data, frames[0]
        result = self.stylizer.stylize(
            job.content, job.styles, job.params, self._on_progress(job_id, cancel)
        )
        return encode_image(result.image, job.format), result.steps

    def _run_one(self, job_id: str, job: JobInput, cancel: threading.Event) -> None:
        started = time.perf_counter()
        log.info("job started", extra={"kind": "clip" if job.clip else "image"})
        try:
            data, steps = self._paint(job_id, job, cancel)
        except Cancelled:
            self._finish(job_id, "cancelled", started)
            return
        except (ValueError, MemoryError) as exc:
            # Bad combination of inputs found by the engine, or too big for this machine.
            self._finish(job_id, "failed", started, error=_describe(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a job's failure must not kill the worker
            log.exception("job crashed")
            self._finish(job_id, "failed", started, error=_describe(exc))
            return
        finally:
            job.discard()  # an uploaded clip: removed whatever the outcome
        self._succeed(job_id, job, steps, data, started, batch=1)

    def _run_batch(self, taken: list[tuple[JobRecord, JobInput, threading.Event]]) -> None:
        """Jobs that share a batch key, optimised together; each finishes on its own."""
        started = time.perf_counter()
        log.info("batch started", extra={"jobs": len(taken)})
        items = [
            BatchItem(job.content, tuple(job.styles), self._on_progress(record.id, cancel))
            for record, job, cancel in taken
        ]
        params = taken[0][1].params
        try:
            results = self.stylizer.stylize_batch(items, params)  # type: ignore[attr-defined]
        except Cancelled:
            results = [None] * len(taken)
        except Exception as exc:  # noqa: BLE001 - a batch's failure must not kill the worker
            if not isinstance(exc, ValueError | MemoryError):
                log.exception("batch crashed")
            for record, _, _ in taken:
                self._finish(record.id, "failed", started, error=_describe(exc))
            return
        for (record, job, _), result in zip(taken, results, strict=True):
            if result is None:
                self._finish(record.id, "cancelled", started)
                continue
            data = encode_image(result.image, job.format)
            self._succeed(record.id, job, result.steps, data, started, batch=len(taken))

    def _succeed(
        self,
        job_id: str,
        job: JobInput,
        steps: int,
        data: bytes,
        started: float,
        batch: int,
    ) -> None:
        seconds = time.perf_counter() - started
        # Speeds are learnt per method (a Gatys job's says nothing of a trained model's), and
        # for clips apart. A batch's jobs share its time: each one's cost is its share.
        if job.clip is not None:
            work = clip_work(job.params, job.content.size, steps)
            self.metrics.clip_frames.inc(steps)
        else:
            work = job_work(job.params, job.content.size) * batch
            self.metrics.steps.inc(steps)
        kind = "clip" if job.clip is not None else "image"
        self.queue.durations.observe(speed_key(job.params.method, kind), work, seconds)
        if job.params.method == "gatys" and steps:
            self.metrics.steps_per_second.set(steps * batch / max(seconds, 1e-6))
        self.queue.complete(job_id, "succeeded", result=data)
        self._observe("succeeded", seconds)

    def _finish(self, job_id: str, status: str, started: float, error: str | None = None) -> None:
        self.queue.complete(job_id, status, error=error)
        self._observe(status, time.perf_counter() - started)

    def _observe(self, status: str, seconds: float) -> None:
        self.metrics.jobs.labels(status=status).inc()
        self.metrics.duration.observe(seconds)
        log.info("job finished", extra={"status": status, "seconds": round(seconds, 3)})


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValueError):  # the engine's own words, memory failures included
        return str(exc)
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return "the image is too large for this machine's memory; try a smaller size"
    return "internal error while stylizing; the job was not completed"
