"""Every endpoint of the service against a fake stylizer, in process."""

import asyncio
import io
import json
import threading

import pytest
from PIL import Image

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import job_files, photo_bytes, wait_status


async def test_stylize_returns_the_image(client, fake):
    r = await client.post("/stylize", files=job_files(), data={"size": "64", "format": "jpeg"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    img = Image.open(io.BytesIO(r.content))
    assert img.format == "JPEG" and max(img.size) == 64
    assert fake.calls[-1].output_size == 64


async def test_stylize_answers_202_when_it_would_wait_too_long(settings, fake):
    settings.sync_timeout_s = 0.2
    fake.gate = threading.Event()
    app = create_app(settings, stylizer=fake)
    import httpx
    from asgi_lifespan import LifespanManager

    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post("/stylize", files=job_files(), data={"size": "64"})
            assert r.status_code == 202
            assert r.headers["location"] == f"/jobs/{r.json()['id']}"
            fake.gate.set()
            done = await wait_status(c, r.json()["id"], {"succeeded"})
            assert done["status"] == "succeeded"


async def test_job_lifecycle_progress_and_result(client, fake):
    fake.gate = threading.Event()
    r = await client.post("/jobs", files=job_files(), data={"size": "64", "steps": "4"})
    assert r.status_code == 202
    job = r.json()
    assert r.headers["location"] == f"/jobs/{job['id']}"
    assert job["status"] in ("queued", "running") and job["result_url"] is None
    assert len(job["id"]) >= 20

    running = await wait_status(client, job["id"], {"running"})
    assert running["queue_position"] == 0
    assert (await client.get(f"/jobs/{job['id']}/result")).status_code == 409
    fake.gate.set()
    done = await wait_status(client, job["id"], {"succeeded"})
    assert done["progress"] == 1.0 and done["step"] == done["total_steps"] == 4
    assert done["finished_at"] and done["started_at"] and done["queue_position"] is None
    result = await client.get(done["result_url"])
    assert result.status_code == 200 and result.headers["content-type"] == "image/png"


async def test_preview_while_running(client, fake):
    fake.gate = threading.Event()
    job = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    await wait_status(client, job["id"], {"running"})
    # Running, held before its first step: no intermediate image exists yet.
    early = await client.get(f"/jobs/{job['id']}/preview")
    assert early.status_code == 404 and early.json()["detail"] == "no preview yet"
    fake.gate.set()
    await wait_status(client, job["id"], {"succeeded"})
    preview = await client.get(f"/jobs/{job['id']}/preview")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"


async def test_sse_stream_ends_with_final_status(client, fake):
    job = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    events = []
    async with client.stream("GET", f"/jobs/{job['id']}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        async for line in r.aiter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    assert events[-1]["status"] == "succeeded"
    steps = [e["step"] for e in events]
    assert steps == sorted(steps)


async def test_cancel_running_job_stops_it(client, fake):
    fake.gate = threading.Event()
    job = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    await wait_status(client, job["id"], {"running"})
    r = await client.delete(f"/jobs/{job['id']}")
    assert r.status_code == 200
    fake.gate.set()
    done = await wait_status(client, job["id"], {"cancelled"})
    assert done["status"] == "cancelled"
    assert (await client.get(f"/jobs/{job['id']}/result")).status_code == 409


async def test_cancel_queued_job(client, fake):
    fake.gate = threading.Event()
    first = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    second = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    assert (await client.get(f"/jobs/{second['id']}")).json()["queue_position"] == 1
    r = await client.delete(f"/jobs/{second['id']}")
    assert r.json()["status"] == "cancelled"
    fake.gate.set()
    assert (await wait_status(client, first["id"], {"succeeded"}))["status"] == "succeeded"


async def test_queue_full_is_503_with_retry_after(client, fake, settings):
    fake.gate = threading.Event()
    accepted = []
    for _ in range(settings.queue_size + 1):  # one runs, queue_size wait
        r = await client.post("/jobs", files=job_files(), data={"size": "64"})
        accepted.append(r)
        if r.status_code == 202 and len(accepted) == 1:
            await wait_status(client, r.json()["id"], {"running"})
    assert all(r.status_code == 202 for r in accepted)
    r = await client.post("/jobs", files=job_files(), data={"size": "64"})
    assert r.status_code == 503
    assert int(r.headers["retry-after"]) >= 1
    assert "full" in r.json()["detail"]
    fake.gate.set()
    for a in accepted:
        assert (await wait_status(client, a.json()["id"], {"succeeded"}))["status"] == "succeeded"


async def test_failed_job_reports_error_and_worker_survives(client, fake):
    fake.fail_with = RuntimeError("boom in the engine")
    job = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    failed = await wait_status(client, job["id"], {"failed"})
    assert failed["error"] and "boom" not in failed["error"]  # no internals leak
    fake.fail_with = None
    ok = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    assert (await wait_status(client, ok["id"], {"succeeded"}))["status"] == "succeeded"


async def test_unknown_job_is_404(client):
    for path in ("/jobs/nope", "/jobs/nope/result", "/jobs/nope/preview", "/jobs/nope/events"):
        r = await client.get(path)
        assert r.status_code == 404 and r.json()["detail"]
    assert (await client.delete("/jobs/nope")).status_code == 404


async def test_results_expire_after_ttl(client, app):
    job = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
    await wait_status(client, job["id"], {"succeeded"})
    queue = app.state.queue
    assert queue.sweep(now=queue._entries[job["id"]].record.finished_at + 10_000) == 1
    assert (await client.get(f"/jobs/{job['id']}/result")).status_code == 410


async def test_finished_jobs_are_bounded(settings, fake):
    settings.max_finished_jobs = 2
    app = create_app(settings, stylizer=fake)
    import httpx
    from asgi_lifespan import LifespanManager

    async with LifespanManager(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            ids = []
            for _ in range(4):
                job = (await c.post("/jobs", files=job_files(), data={"size": "64"})).json()
                await wait_status(c, job["id"], {"succeeded"})
                ids.append(job["id"])
            app.state.queue.sweep()
            assert (await c.get(f"/jobs/{ids[0]}")).status_code == 404
            assert (await c.get(f"/jobs/{ids[-1]}")).status_code == 200


async def test_styles_list_and_thumbnails(client):
    styles = (await client.get("/styles")).json()
    assert len(styles) >= 6
    first = styles[0]
    assert {"id", "title", "artist", "year", "licence", "methods", "image_url"} <= first.keys()
    assert "gatys" in first["methods"]
    thumb = await client.get(first["image_url"])
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).format == "JPEG"
    assert (await client.get("/styles/nope/image")).status_code == 404


async def test_preset_job(client, fake):
    r = await client.post(
        "/stylize", files=job_files(style=False), data={"preset": "the_scream", "size": "64"}
    )
    assert r.status_code == 200
    assert fake.calls[-1].preset == "the_scream"


async def test_health_ready_metrics(client):
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["device"] == "fake"
    await client.post("/stylize", files=job_files(), data={"size": "64"})
    text = (await client.get("/metrics")).text
    for name in (
        "stylize_queue_depth",
        'stylize_jobs_total{status="succeeded"}',
        "stylize_job_duration_seconds_bucket",
        "stylize_engine_steps_per_second",
    ):
        assert name in text


async def test_readyz_is_503_before_the_model_is_loaded(settings, fake):
    import httpx

    app = create_app(settings, stylizer=fake)  # lifespan not started: model not loaded
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/readyz")
        assert r.status_code == 503 and r.headers["retry-after"]
        assert (await c.get("/healthz")).status_code == 200


async def test_request_id_is_echoed(client):
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id\n"})
    assert r.headers["x-request-id"] != "bad id\n"


async def test_concurrent_submissions_all_finish(client, settings):
    async def one():
        r = await client.post("/jobs", files=job_files(), data={"size": "64"})
        if r.status_code == 503:
            return "refused"
        return (await wait_status(client, r.json()["id"], {"succeeded", "failed"}))["status"]

    outcomes = await asyncio.gather(*(one() for _ in range(12)))
    assert set(outcomes) <= {"succeeded", "refused"}
    assert outcomes.count("succeeded") >= settings.queue_size


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("API_KEY", "k1, k2")
    monkeypatch.setenv("MAX_SIZE", "256")
    s = Settings()
    assert s.port == 9123 and s.max_size == 256 and s.api_keys() == ["k1", "k2"]
    assert "k1" not in repr(s)
    monkeypatch.setenv("DEVICE", "tpu")
    with pytest.raises(ValueError, match="DEVICE"):
        Settings()


def test_photo_bytes_helper_is_png():
    assert photo_bytes()[:4] == b"\x89PNG"
