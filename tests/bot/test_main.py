"""`python -m bot` fails fast, in one line, without a usable token."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_missing_or_bad_token_is_one_clear_line(token):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    run = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
