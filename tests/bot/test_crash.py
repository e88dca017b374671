"""Nothing acknowledged is lost across kill -9: a burst of residents, the service killed at
random points of it again and again; after the last restart every resident has an answer."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from bot.emulator import BotApiEmulator
from firecircle.sample import load_sample_district
from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.harness import TOKEN

ROUNDS, PER_ROUND = 6, 12


def serve(tmp_path: Path, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "firecircle.cli", "serve"]
    return subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def test_killed_at_random_points_of_a_burst_no_answer_is_lost(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(url)
    await upgrade(engine)
    await load_sample_district(make_session_factory(engine))
    await engine.dispose()
    chance = random.Random(11)
    async with BotApiEmulator(token=TOKEN) as emulator:
        env = {
            **os.environ,
            "FIRECIRCLE_BOT_TOKEN": TOKEN,
            "FIRECIRCLE_DATABASE_URL": url,
            "FIRECIRCLE_TELEGRAM_API_URL": emulator.url,
            "FIRECIRCLE_HTTP_PORT": "0",
            "FIRECIRCLE_SEND_PER_CHAT_RATE": "100",
        }
        residents = []
        for _ in range(ROUNDS):
            process = serve(tmp_path, env)
            try:
                burst = [emulator.user(1900 + len(residents) + i) for i in range(PER_ROUND)]
                residents += burst
                for number, resident in enumerate(burst):
                    await (
                        resident.send("楼道里着火了")
                        if number % 3 == 0
                        else resident.command("/start")
                    )
                # Killed once one resident of the burst, drawn at random, has had an answer:
                # the rest are anywhere between stored, handled, claimed and sent.
                await chance.choice(burst).next_message(timeout=30)
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
        process = serve(tmp_path, env)
        try:
            for resident in residents:
                await resident.wait_for(lambda r=resident: r.messages, timeout=30)
        finally:
            process.terminate()
            process.wait(timeout=15)
    for number, resident in enumerate(residents):
        texts = [m.get("text", "") for m in resident.messages]
        expected = "119" if number % PER_ROUND % 3 == 0 else "十分钟"
        assert any(expected in text for text in texts), (resident, texts)
