"""`python -m bot`: a configuration mistake is one clear line on stderr, never a traceback."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

import bot.__main__ as entry
from tests.bot.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("token", "says"),
    [(None, "TELEGRAM_BOT_TOKEN"), ("", "not a bot token"), ("not-a-token", "not a bot token")],
)
def test_missing_or_malformed_token(token, says, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env file here
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    if token is not None:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


async def test_a_token_telegram_rejects(telegram):
    # The real entry point, in a process of its own, against a Bot API that does not know it.
    wrong = TOKEN.replace("SECRET", "REVOKED")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TELEGRAM_BOT_TOKEN": wrong,
        "TELEGRAM_API_BASE": telegram.base,
        "API_KEY": "a-key-not-to-print",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    text = err.decode()
    assert process.returncode == 2, text
    assert (
        text.splitlines()[-1] == "bot: Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped?)"
    )
    assert "Traceback" not in text and wrong not in text and "REVOKED" not in text
    assert "a-key-not-to-print" not in text
