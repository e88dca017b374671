"""The service as the tests drive it: the real Application, the emulator over HTTP, a real DB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.emulator import BotApiEmulator
from firecircle.sample import load_sample_district
from firecircle.service import Service
from firecircle.settings import Settings

TOKEN = "123456:TEST-firecircle"
# Inside the sample district (幸福社区第一网格) and far outside it (the Pacific Ocean).
INSIDE = (30.5415, 114.3320)
OCEAN = (0.0, -160.0)


@dataclass
class Running:
    emulator: BotApiEmulator
    service: Service

    @property
    def sessions(self):
        return self.service.sessions


@asynccontextmanager
async def running_service(
    database_url: str, *, first_update_id: int = 10_000, **settings: object
) -> AsyncIterator[Running]:
    async with BotApiEmulator(
        token=TOKEN, bot_username="firecircle_bot", first_update_id=first_update_id
    ) as emulator:
        config = Settings(
            bot_token=TOKEN,
            database_url=database_url,
            telegram_api_url=emulator.url,
            http_port=0,
            **settings,
        )
        service = Service(config)
        await load_sample_district(service.sessions)
        await service.start()
        try:
            yield Running(emulator, service)
        finally:
            await service.stop()
