"""The one thread that owns the device and runs jobs, one at a time, from the in-process queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable

from api.estimates import job_work
from api.jobs import InProcessQueue, JobInput, JobRecord
from api.logs import job_id_var
from api.metrics import Metrics
from core.images import encode_image
from core.stylizer import (
    BatchItem,
    Cancelled,
    Progress,
    ProgressCallback,
    StyleResult,
    Stylizer,
)

log = logging.getLogger("api.worker")
PREVIEW_SIDE = 384


def preview_bytes(progress: Progress) -> bytes | None:
    if progress.preview is None:
        return None
    img = progress.preview.copy()
    img.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return encode_image(img, "jpeg", quality=80)


class Worker(threading.Thread):
    """Runs jobs from `queue` with `stylizer` until `stop()`; never on the event loop."""

    def __init__(
        self, queue: InProcessQueue, stylizer: Stylizer, metrics: Metrics, batch_max: int = 1
    ) -> None:
        super().__init__(name="stylize-worker", daemon=True)
        self.queue = queue
        self.stylizer = stylizer
        self.metrics = metrics
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
        return self.stylizer.batch_key(job.content, job.params)  # type: ignore[attr-defined]

    def _on_progress(self, job_id: str, cancel: threading.Event) -> ProgressCallback:
        def on_progress(p: Progress) -> None:
            if cancel.is_set():
                raise Cancelled
            self.queue.update(job_id, p.step, p.total_steps, preview_bytes(p))

        return on_progress

    def _run_one(self, job_id: str, job, cancel: threading.Event) -> None:
        started = time.perf_counter()
        log.info("job started")
        try:
            result = self.stylizer.stylize(
                job.content, job.styles, job.params, self._on_progress(job_id, cancel)
            )
            data = encode_image(result.image, job.format)
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
        self._succeed(job_id, job, result, data, started, batch=1)

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
            self._succeed(record.id, job, result, data, started, batch=len(taken))

    def _succeed(
        self,
        job_id: str,
        job: JobInput,
        result: StyleResult,
        data: bytes,
        started: float,
        batch: int,
    ) -> None:
        seconds = time.perf_counter() - started
        # Speeds are learnt per method: a Gatys job's says nothing of a trained model's.
        # A batch's jobs share its time: each one's cost is its share.
        work = job_work(job.params, job.content.size) * batch
        self.queue.durations.observe(job.params.method, work, seconds)
        if job.params.method == "gatys" and result.steps:
            self.metrics.steps_per_second.set(result.steps * batch / max(seconds, 1e-6))
        self.metrics.steps.inc(result.steps)
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
