"""``python -m bot.emulator``: run the emulator standalone until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from .server import BotApiEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--bot-username", default="firecircle_bot")
    parser.add_argument("--bot-name", default="消防便民服务")
    parser.add_argument("--global-rate", type=float, default=None, help="messages/s, all chats")
    parser.add_argument("--per-chat-rate", type=float, default=None, help="messages/s per chat")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    emu = BotApiEmulator(
        args.token,
        bot_username=args.bot_username,
        bot_name=args.bot_name,
        host=args.host,
        port=args.port,
        global_rate=args.global_rate,
        per_chat_rate=args.per_chat_rate,
    )
    await emu.start()
    print(f"Bot API emulator on {emu.url} (base_url {emu.api_url}, control {emu.url}/_emulator/)")
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
