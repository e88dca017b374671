"""Two tiny proxies on 127.0.0.1 that note what went through them: HTTP and SOCKS5."""

from __future__ import annotations

import asyncio
import contextlib
import struct

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "host"}


class HttpProxy:
    """A forward proxy for plain-HTTP requests (absolute-form, as clients send to a proxy)."""

    def __init__(self) -> None:
        self.seen: list[str] = []  # the requested URLs, in order
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> HttpProxy:
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()
        await self._client.close()

    async def _forward(self, request: web.Request) -> web.Response:
        self.seen.append(str(request.url))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with self._client.request(
            request.method, request.url, data=await request.read(), headers=headers
        ) as answer:
            body = await answer.read()
            return web.Response(
                status=answer.status, body=body, headers={"Content-Type": answer.content_type}
            )


class Socks5Proxy:
    """SOCKS5 without authentication, CONNECT only: enough for aiohttp-socks."""

    def __init__(self) -> None:
        self.connections: list[tuple[str, int]] = []  # where each client asked to go
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Socks5Proxy:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for task in self._pipes:
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _, methods = await reader.readexactly(2)
            await reader.readexactly(methods)
            writer.write(b"\x05\x00")  # no authentication
            _, _, _, kind = await reader.readexactly(4)  # version, CONNECT, reserved, type
            if kind == 1:
                host = ".".join(str(b) for b in await reader.readexactly(4))
            else:  # a name
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            self.connections.append((host, port))
            target_reader, target_writer = await asyncio.open_connection(host, port)
            writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
        except (OSError, asyncio.IncompleteReadError):
            writer.close()
            return
        for source, sink in ((reader, target_writer), (target_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.close()
