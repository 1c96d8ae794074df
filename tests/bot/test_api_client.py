"""The service client alone, over httpx's MockTransport: retries, backoff, errors, SSE."""

from __future__ import annotations

import httpx
import pytest

from bot.api_client import JobOptions, ServiceError, StylizeClient
from bot.sse import sse_events


async def test_sse_reader():
    async def lines():
        for line in [": keep-alive", "event: job", 'data: {"a":', "data: 1}", "", "data: x\r",
                     "", "event: job", "data: cut off"]:  # fmt: skip
            yield line

    assert [e async for e in sse_events(lines())] == [("job", '{"a":\n1}'), ("message", "x")]


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The client's backoff waits, recorded instead of slept."""
    recorded: list[float] = []

    class NoSleep:
        @staticmethod
        async def sleep(seconds: float) -> None:
            recorded.append(seconds)

    monkeypatch.setattr("bot.api_client.asyncio", NoSleep)
    return recorded


def client_for(handler) -> StylizeClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://svc")
    return StylizeClient(http, retries=3, backoff_s=0.5, max_wait_s=30)


async def test_client_backs_off_exponentially_and_honours_retry_after(waits):
    answers = iter([httpx.Response(502), httpx.Response(503, headers={"Retry-After": "7"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, json=[{"id": "w", "title": "Wave"}]))

    client = client_for(handler)
    styles = await client.styles()
    assert styles[0].id == "w" and styles[0].methods == ["gatys"]
    assert waits == [0.5, 7.0]


async def test_client_gives_up_after_bounded_retries_and_never_repeats_a_sent_post(waits):
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if request.method == "POST":
            raise httpx.ReadTimeout("slow", request=request)
        raise httpx.ConnectError("refused", request=request)

    client = client_for(handler)
    with pytest.raises(ServiceError) as down:
        await client.job("j")
    assert down.value.unavailable and waits == [0.5, 1.0, 2.0] and calls == ["GET"] * 4
    with pytest.raises(ServiceError):
        await client.create_job(b"x", None, "wave", JobOptions())
    assert calls.count("POST") == 1  # it may have been taken: not sent twice


async def test_client_errors_are_typed(waits):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jobs/j":
            return httpx.Response(404, json={"detail": "no such job"})
        return httpx.Response(200, json={"unexpected": True})

    client = client_for(handler)
    with pytest.raises(ServiceError) as missing:
        await client.job("j")
    assert (missing.value.status, missing.value.detail, waits) == (404, "no such job", [])
    with pytest.raises(ServiceError) as garbled:
        await client.job("other")
    assert garbled.value.unavailable
