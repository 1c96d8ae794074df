"""Jobs and the queue interface, with the in-process implementation (no broker).

A job's state is a small serialisable record; results and previews are bytes. The
in-process queue keeps them in memory, bounded by the queue size, the number of finished
jobs kept and the result TTL. One worker thread (api.worker) owns the device.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from PIL import Image

from api.clips import ClipSource
from api.estimates import Durations, clip_work, job_work, speed_key
from core.params import StyleParams

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


class QueueFull(Exception):  # noqa: N818 - reads as the condition it reports
    """The queue holds as many waiting jobs as allowed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("the job queue is full; try again shortly")
        self.retry_after = retry_after


class JobNotFound(Exception):  # noqa: N818
    pass


class QueueUnavailable(Exception):  # noqa: N818
    """The queue's store (Redis) cannot be reached; nothing was changed."""

    retry_after = 5

    def __init__(self) -> None:
        super().__init__("the job queue is unavailable; try again shortly")


@dataclass
class JobInput:
    """What a job needs to run: decoded images and parameters."""

    content: Image.Image
    styles: list[Image.Image]
    params: StyleParams
    format: str = "png"
    owner: str = ""
    clip: ClipSource | None = None  # a clip to paint; `content` is then its first frame

    def discard(self) -> None:
        """Remove what the job keeps on disk (an uploaded clip), once it will not run."""
        if self.clip is not None:
            self.clip.discard()


@dataclass
class JobRecord:
    """The public state of one job (serialisable: no images)."""

    id: str
    owner: str
    method: str
    format: str
    total_steps: int
    status: str = "queued"
    step: int = 0
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    expired: bool = False
    version: int = 0
    seconds_per_step: float | None = None
    work: float = 0.0  # in the method's unit (api.estimates.job_work), for ETAs
    kind: str = "image"  # or "clip": then steps count frames

    @property
    def progress(self) -> float:
        if self.status == "succeeded":
            return 1.0
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


def new_record(job: JobInput) -> JobRecord:
    """The record of a job just accepted."""
    if job.clip is not None:
        return JobRecord(
            id=new_job_id(),
            owner=job.owner,
            method=job.params.method,
            format=job.format,
            total_steps=job.clip.frames,
            work=clip_work(job.params, job.content.size, job.clip.frames),
            kind="clip",
        )
    steps = job.params.total_steps if job.params.method == "gatys" else 1
    return JobRecord(
        id=new_job_id(),
        owner=job.owner,
        method=job.params.method,
        format=job.format,
        total_steps=steps,
        work=job_work(job.params, job.content.size),
    )


def new_job_id() -> str:
    # 128 random bits: ids cannot be guessed or enumerated.
    return secrets.token_urlsafe(16)


def iso(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


class JobQueue(Protocol):
    """What the routes need from a queue; the in-process and Redis queues both provide it."""

    async def submit(self, job: JobInput) -> JobRecord: ...

    async def get(self, job_id: str) -> JobRecord: ...

    async def queue_position(self, job_id: str) -> int | None: ...

    async def eta_seconds(self, job_id: str) -> float | None: ...

    async def cancel(self, job_id: str) -> JobRecord: ...

    async def result(self, job_id: str) -> bytes | None: ...

    async def preview(self, job_id: str) -> bytes | None: ...

    def events(self, job_id: str) -> AsyncIterator[JobRecord]: ...

    async def depth(self) -> int: ...

    async def available(self) -> bool: ...


@dataclass
class _Entry:
    record: JobRecord
    job: JobInput | None
    cancel: threading.Event = field(default_factory=threading.Event)
    result: bytes | None = None
    preview: bytes | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class InProcessQueue:
    """A bounded FIFO in this process; `api.worker.Worker` takes jobs from it in a thread."""

    def __init__(self, max_waiting: int, result_ttl_s: float, max_finished: int) -> None:
        self.max_waiting = max_waiting
        self.result_ttl_s = result_ttl_s
        self.max_finished = max_finished
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._waiting: deque[str] = deque()
        self._lock = threading.Lock()
        self._available = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.durations = Durations()  # per-method speeds, learnt by the worker
        self.closed = False

    # -- called from the event loop ----------------------------------------------------

    async def submit(self, job: JobInput) -> JobRecord:
        self._loop = asyncio.get_running_loop()
        record = new_record(job)
        with self._lock:
            if len(self._waiting) >= self.max_waiting:
                raise QueueFull(retry_after=self._retry_after())
            self._entries[record.id] = _Entry(record, job)
            self._waiting.append(record.id)
            self._available.notify()
        return replace(record)

    async def get(self, job_id: str) -> JobRecord:
        with self._lock:
            return replace(self._entry(job_id).record)

    async def queue_position(self, job_id: str) -> int | None:
        with self._lock:
            entry = self._entry(job_id)
            if entry.record.status == "running":
                return 0
            if entry.record.status != "queued":
                return None
            running = sum(1 for e in self._entries.values() if e.record.status == "running")
            return running + self._waiting.index(job_id)

    async def eta_seconds(self, job_id: str) -> float | None:
        with self._lock:
            entry = self._entry(job_id)
            rec = entry.record
            if rec.done:
                return 0.0
            ahead: list[_Entry] = []  # a running job waits for nobody: the waiting are behind it
            if rec.status == "queued":
                before = list(self._waiting)[: self._waiting.index(job_id)]
                ahead = [self._entries[i] for i in before]
                ahead += [e for e in self._entries.values() if e.record.status == "running"]
            own = self._estimate(entry)
            rest = [self._estimate(e) for e in ahead]
            if own is None or any(r is None for r in rest):
                return None
            return round(own + sum(rest), 1)  # type: ignore[arg-type]

    async def cancel(self, job_id: str) -> JobRecord:
        with self._lock:
            entry = self._entry(job_id)
            if entry.record.status == "queued":
                self._waiting.remove(job_id)
                self._finish(entry, "cancelled", error=None)
            elif entry.record.status == "running":
                entry.cancel.set()  # the worker stops at its next step
            return replace(entry.record)

    async def result(self, job_id: str) -> bytes | None:
        with self._lock:
            return self._entry(job_id).result

    async def preview(self, job_id: str) -> bytes | None:
        with self._lock:
            return self._entry(job_id).preview

    async def events(self, job_id: str) -> AsyncIterator[JobRecord]:
        """Yield the record at once and after every change, until a terminal status."""
        last_version = -1
        while True:
            with self._lock:
                entry = self._entry(job_id)
                record = replace(entry.record)
                changed = entry.changed
            if record.version != last_version:
                last_version = record.version
                yield record
                if record.done:
                    return
            try:
                await asyncio.wait_for(changed.wait(), timeout=15)
            except TimeoutError:
                continue
            changed.clear()

    async def depth(self) -> int:
        return self.waiting()

    async def available(self) -> bool:
        return True  # it lives in this process: if we can answer, it is there

    def held(self) -> int:
        """Jobs this queue knows of: waiting, running, or finished and not yet swept."""
        with self._lock:
            return len(self._entries)

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def sweep(self, now: float | None = None) -> int:
        """Drop results past their TTL and the oldest finished jobs past the cap."""
        now = now or time.time()
        removed = 0
        with self._lock:
            finished = [e for e in self._entries.values() if e.record.done]
            for entry in finished:
                rec = entry.record
                if (
                    not rec.expired
                    and rec.finished_at
                    and now - rec.finished_at > self.result_ttl_s
                ):
                    entry.result = entry.preview = None
                    rec.expired = True
                    removed += 1
            excess = len(finished) - self.max_finished
            for entry in finished[: max(0, excess)]:
                del self._entries[entry.record.id]
        return removed

    # -- called from the worker thread -------------------------------------------------

    def take(self, timeout: float = 1.0) -> tuple[JobRecord, JobInput, threading.Event] | None:
        """Next waiting job, marked running; None after `timeout` s with nothing to do."""
        with self._available:
            if not self._waiting and not self.closed:
                self._available.wait(timeout)
            if not self._waiting:
                return None
            return self._start(self._waiting.popleft())

    def take_batch(
        self, key: Callable[[JobInput], Hashable | None], limit: int, timeout: float = 1.0
    ) -> list[tuple[JobRecord, JobInput, threading.Event]]:
        """The next waiting job and up to `limit - 1` later ones with the same `key`.

        Jobs keep their order; a job whose key is None runs alone. Empty after `timeout` s
        with nothing to do.
        """
        first = self.take(timeout)
        if first is None:
            return []
        wanted = key(first[1]) if limit > 1 else None
        if wanted is None:
            return [first]
        taken = [first]
        with self._lock:
            for job_id in list(self._waiting):
                if len(taken) >= limit:
                    break
                job = self._entries[job_id].job
                if job is not None and key(job) == wanted:
                    self._waiting.remove(job_id)
                    taken.append(self._start(job_id))
        return taken

    def _start(self, job_id: str) -> tuple[JobRecord, JobInput, threading.Event]:
        """Mark a job taken off the waiting line as running; its images go to the worker."""
        entry = self._entries[job_id]
        entry.record.status = "running"
        entry.record.started_at = time.time()
        self._touch(entry)
        job, entry.job = entry.job, None  # the images are not kept beyond the run
        assert job is not None
        return replace(entry.record), job, entry.cancel

    def update(self, job_id: str, step: int, total: int, preview: bytes | None) -> None:
        with self._lock:
            entry = self._entries.get(job_id)
            if entry is None:
                return
            rec = entry.record
            rec.step, rec.total_steps = step, total
            if rec.started_at and step:
                rec.seconds_per_step = (time.time() - rec.started_at) / step
            if preview is not None:
                entry.preview = preview
            self._touch(entry)

    def complete(
        self, job_id: str, status: str, result: bytes | None = None, error: str | None = None
    ) -> None:
        with self._lock:
            entry = self._entries.get(job_id)
            if entry is not None:
                entry.result = result
                self._finish(entry, status, error)

    def close(self) -> None:
        with self._available:
            self.closed = True
            for entry in self._entries.values():
                if entry.record.status == "running":
                    entry.cancel.set()
                elif entry.job is not None:  # waiting: it will not run in this process
                    entry.job.discard()
            self._available.notify_all()

    # -- helpers (lock held) -----------------------------------------------------------

    def _entry(self, job_id: str) -> _Entry:
        try:
            return self._entries[job_id]
        except KeyError:
            raise JobNotFound(job_id) from None

    def _finish(self, entry: _Entry, status: str, error: str | None) -> None:
        entry.record.status = status
        entry.record.error = error
        entry.record.finished_at = time.time()
        if entry.job is not None:  # cancelled while waiting: its clip is not needed
            entry.job.discard()
        entry.job = None
        if status != "succeeded":
            entry.preview = None
        self._touch(entry)

    def _touch(self, entry: _Entry) -> None:
        entry.record.version += 1
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(entry.changed.set)

    def _estimate(self, entry: _Entry) -> float | None:
        """Seconds until this job is done, were it to start now (or as it runs)."""
        rec = entry.record
        if rec.status == "running" and rec.seconds_per_step is not None:
            return rec.seconds_per_step * (rec.total_steps - rec.step)
        whole = self.durations.estimate(speed_key(rec.method, rec.kind), rec.work)
        if whole is None or rec.status != "running" or rec.started_at is None:
            return whole
        return max(0.0, whole - (time.time() - rec.started_at))  # no step reported yet

    def _retry_after(self) -> int:
        rate = self.durations.rate("gatys")
        if rate is None:
            return 30
        return max(1, min(600, int(rate * 0.2 * 250)))  # a typical job: 0.2 MP, 250 steps
