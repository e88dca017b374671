"""Building the python-telegram-bot Application that the service and the demo run."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder

from bot import abuse, errors, fieldwork, gate, privacy, resident, staff, survey, team
from bot.context import KEY, BotServices
from bot.telegram_bot import FirecircleBot
from bot.texts import t
from bot.transport import AiohttpRequest


def build_application(
    *, token: str, api_url: str, services: BotServices, proxy_url: str | None = None
) -> Application:
    app = (
        ApplicationBuilder()
        .bot(
            FirecircleBot(
                token,
                base_url=f"{api_url}/bot",
                base_file_url=f"{api_url}/file/bot",
                request=AiohttpRequest(proxy_url=proxy_url),
                get_updates_request=AiohttpRequest(connections=1, proxy_url=proxy_url),
            )
        )
        .updater(None)  # updates come through bot.inbox (stored before they are confirmed)
        .build()
    )
    app.bot_data[KEY] = services
    gate.register(app)  # a group of its own, before all others
    resident.register_edits(app)  # an edit is never taken for a new message
    staff.register(app)  # before the resident's catch-alls
    abuse.register(app)
    team.register(app)
    fieldwork.register(app)  # /patrol, /campaign, and their steps before the catch-alls
    privacy.register(app)
    survey.register(app)  # /subscribe, /unsubscribe, the answers' buttons
    resident.register(app)
    app.add_error_handler(errors.on_error)
    return app


async def publish_commands(app: Application) -> None:
    """The command menu, in Chinese by default and in English for English-language clients."""
    for language, code in (("zh", None), ("en", "en")):
        commands = [BotCommand(c, t(language, f"commands.{c}")) for c in resident.COMMANDS]
        await app.bot.set_my_commands(commands, language_code=code)
