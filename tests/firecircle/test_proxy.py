"""FIRECIRCLE_PROXY_URL: every call to Telegram goes through the proxy, HTTP or SOCKS5."""

from __future__ import annotations

from tests.harness import running_service
from tests.proxies import HttpProxy, Socks5Proxy


async def _asks_and_gets_an_answer(bot) -> None:
    resident = bot.emulator.user(1901, "小周")
    await resident.send("灭火器多久换一次？")
    assert (await resident.next_message())["text"]


async def test_an_http_proxy_carries_every_call(sqlite_url):
    async with HttpProxy() as proxy, running_service(sqlite_url, proxy_url=proxy.url) as bot:
        await _asks_and_gets_an_answer(bot)
        methods = {url.rsplit("/", 1)[-1] for url in proxy.seen}
        assert {"getMe", "getUpdates", "sendMessage"} <= methods
        assert all(url.startswith(bot.emulator.url) for url in proxy.seen)


async def test_a_socks5_proxy_carries_every_call(sqlite_url):
    async with Socks5Proxy() as proxy, running_service(sqlite_url, proxy_url=proxy.url) as bot:
        await _asks_and_gets_an_answer(bot)
        assert proxy.connections
        assert set(proxy.connections) == {("127.0.0.1", bot.emulator.port)}
