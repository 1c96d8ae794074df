"""The page at / and its files under /web/, and WEB_UI=off."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from api.main import create_app
from api.settings import Settings


async def test_serves_the_page_and_its_modules(client):
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/web/js/main.js">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    module = await client.get("/web/js/api.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
    for language in ("en", "ru"):
        assert (await client.get(f"/web/locales/{language}.json")).json()["run.start"]


async def test_the_page_needs_no_key_but_the_api_still_does(fake):
    app = create_app(Settings(warm_up=False, api_key="k1"), stylizer=fake)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get("/")).status_code == 200
            assert (await c.get("/web/style.css")).status_code == 200
            assert (await c.get("/styles")).status_code == 401


async def test_api_paths_are_not_shadowed(client):
    assert (await client.get("/jobs/nope")).status_code == 404
    assert (await client.get("/jobs/nope")).json()["detail"]
    assert (await client.get("/healthz")).json()["status"] == "ok"
    assert "/" not in (await client.get("/openapi.json")).json()["paths"]


async def test_web_ui_off_serves_no_page(fake):
    app = create_app(Settings(warm_up=False, web_ui=False), stylizer=fake)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            assert (await c.get("/")).status_code == 404
            assert (await c.get("/web/js/main.js")).status_code == 404
            assert (await c.get("/healthz")).status_code == 200
