"""Prometheus metrics, one registry per app so that several apps can live in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.queue_depth = Gauge(
            "stylize_queue_depth", "Jobs waiting to run", registry=self.registry
        )
        self.jobs = Counter(
            "stylize_jobs_total",
            "Finished jobs by final status",
            ["status"],
            registry=self.registry,
        )
        self.submitted = Counter(
            "stylize_jobs_submitted_total", "Accepted job submissions", registry=self.registry
        )
        self.rejected = Counter(
            "stylize_jobs_rejected_total", "Submissions refused", ["reason"], registry=self.registry
        )
        self.duration = Histogram(
            "stylize_job_duration_seconds",
            "Wall time of finished jobs",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200),
            registry=self.registry,
        )
        self.steps = Counter(
            "stylize_engine_steps_total", "Optimiser steps run", registry=self.registry
        )
        self.clip_frames = Counter(
            "stylize_clip_frames_total", "Clip frames painted", registry=self.registry
        )
        self.steps_per_second = Gauge(
            "stylize_engine_steps_per_second",
            "Steps per second of the last finished job",
            registry=self.registry,
        )
