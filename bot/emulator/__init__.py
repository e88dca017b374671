"""A Telegram Bot API emulator: python-telegram-bot runs against it unchanged.

>>> emu = BotApiEmulator(token="123456:TEST")
>>> await emu.start()
>>> bot = telegram.Bot(emu.token, base_url=emu.api_url, base_file_url=emu.file_url)
>>> alice = emu.user(1001, "小李")
>>> await alice.send("楼道里有电动车")
>>> reply = await alice.next_message()

Only the standard library and aiohttp are used, so the product's demo can ship it.
"""

from .errors import ApiError
from .faults import Faults, RateLimiter
from .players import Player, describe
from .server import BotApiEmulator
from .state import Call

__all__ = ["ApiError", "BotApiEmulator", "Call", "Faults", "Player", "RateLimiter", "describe"]
