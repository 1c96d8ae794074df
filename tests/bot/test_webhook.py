"""Webhook mode: the bot registers its URL and secret, and answers only calls that carry it."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.app import build
from tests.bot.conftest import bot_settings, free_port


async def test_webhook_with_secret_token(telegram, service):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = bot_settings(
        telegram,
        service.url,
        bot_webhook_url=url,
        bot_webhook_secret="s3cret_-token",
        bot_webhook_host="127.0.0.1",
        bot_webhook_port=port,
    )
    app = build(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(app.run_webhook(stop))
    try:
        registered = await telegram.wait_for("setWebhook")
        assert registered.params["url"] == url
        assert registered.params["secret_token"] == "s3cret_-token"
        telegram.text("/help")  # delivered by POST with the secret header, as Telegram does
        await telegram.wait_text("How it works")
        assert telegram.webhook_statuses == [200]
        async with aiohttp.ClientSession() as http:
            forged = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(url, json={"update_id": 1}, headers=forged) as response:
                assert response.status == 401
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert task.done() and not task.exception()
