"""`firecircle serve` that cannot reach Telegram, or is refused: one line, never the token."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import pytest

from bot.emulator import BotApiEmulator
from tests.harness import run

TOKEN = "123456:AAH-do-not-print-me"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve_env(workdir, capsys, monkeypatch):
    run(capsys, "db", "upgrade")
    monkeypatch.setenv("FIRECIRCLE_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("FIRECIRCLE_HTTP_PORT", "0")
    monkeypatch.delenv("FIRECIRCLE_PROXY_URL", raising=False)
    return monkeypatch


def test_an_unreachable_telegram_url_is_named_in_one_line(serve_env, capsys):
    url = f"http://127.0.0.1:{closed_port()}"
    serve_env.setenv("FIRECIRCLE_TELEGRAM_API_URL", url)
    code, out, err = run(capsys, "serve")
    assert code == 1 and err.count("\n") == 1
    assert f"cannot reach Telegram at {url}" in err and "FIRECIRCLE_TELEGRAM_API_URL" in err
    assert TOKEN not in out + err and "Traceback" not in err


def test_an_unreachable_proxy_is_named(serve_env, capsys):
    proxy = f"socks5://user:proxy-password@127.0.0.1:{closed_port()}"
    serve_env.setenv("FIRECIRCLE_TELEGRAM_API_URL", "http://127.0.0.1:1")
    serve_env.setenv("FIRECIRCLE_PROXY_URL", proxy)
    code, out, err = run(capsys, "serve")
    assert code == 1 and err.count("\n") == 1
    assert "through the proxy socks5://user:***@127.0.0.1" in err and "FIRECIRCLE_PROXY_URL" in err
    assert "proxy-password" not in err and TOKEN not in err


def test_a_proxy_url_that_is_not_one_is_refused(serve_env, capsys):
    serve_env.setenv("FIRECIRCLE_PROXY_URL", "ftp://127.0.0.1:21")
    code, _, err = run(capsys, "serve")
    assert code == 1 and "FIRECIRCLE_PROXY_URL" in err and "socks5://" in err


async def _serve(database_url: str, api_url: str, *options: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "FIRECIRCLE_BOT_TOKEN": TOKEN,
        "FIRECIRCLE_TELEGRAM_API_URL": api_url,
        "FIRECIRCLE_DATABASE_URL": database_url,
        "FIRECIRCLE_HTTP_PORT": "0",
    }
    env.pop("FIRECIRCLE_PROXY_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "firecircle.cli",
        *options,
        "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


async def test_a_token_telegram_refuses_is_said_without_printing_it(sqlite_url):
    async with BotApiEmulator(token="999999:SOMEONE-ELSES") as emulator:
        code, out, err = await _serve(sqlite_url, emulator.url)
        assert code == 1 and err.count("\n") == 1
        assert err.startswith(
            "firecircle: Telegram 拒绝了这个 token (401): check FIRECIRCLE_BOT_TOKEN"
        )
        assert TOKEN not in out + err
        code, out, err = await _serve(sqlite_url, emulator.url, "-v")  # logs, still no token
        assert code == 1 and "Telegram 拒绝了这个 token (401)" in err
        assert TOKEN not in out + err and "AAH" not in err


async def test_a_url_that_is_no_bot_api_says_404(sqlite_url):
    async with BotApiEmulator(token=TOKEN) as emulator:
        code, out, err = await _serve(sqlite_url, f"{emulator.url}/elsewhere")
        assert code == 1 and err.count("\n") == 1 and "answered 404 to getMe" in err
        assert err.startswith(f"firecircle: {emulator.url}/elsewhere answered 404")
        assert TOKEN not in out + err
