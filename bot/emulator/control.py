"""HTTP control API under /_emulator/: the player and fault API for other processes
(a demo driver, a benchmark) that cannot call the Python objects directly."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from .players import Player

if TYPE_CHECKING:
    from .server import BotApiEmulator

PREFIX = "/_emulator"
_LONGEST_WAIT = 60.0


def add_routes(app: web.Application, emu: BotApiEmulator) -> None:
    routes = _Routes(emu)
    app.router.add_get(f"{PREFIX}/", routes.info)
    app.router.add_get(f"{PREFIX}/users", routes.list_users)
    app.router.add_post(f"{PREFIX}/users", routes.create_user)
    app.router.add_post(f"{PREFIX}/users/{{user_id}}/send", routes.send)
    app.router.add_post(f"{PREFIX}/users/{{user_id}}/press", routes.press)
    app.router.add_post(f"{PREFIX}/users/{{user_id}}/reply_button", routes.reply_button)
    app.router.add_post(f"{PREFIX}/users/{{user_id}}/block", routes.block)
    app.router.add_post(f"{PREFIX}/users/{{user_id}}/unblock", routes.unblock)
    app.router.add_get(f"{PREFIX}/chats/{{chat_id}}/messages", routes.messages)
    app.router.add_get(f"{PREFIX}/callbacks/{{query_id}}", routes.callback_answer)
    app.router.add_post(f"{PREFIX}/faults", routes.add_fault)
    app.router.add_delete(f"{PREFIX}/faults", routes.clear_faults)
    app.router.add_post(f"{PREFIX}/delays", routes.add_delay)
    app.router.add_get(f"{PREFIX}/stats", routes.stats)
    app.router.add_get(f"{PREFIX}/calls", routes.calls)
    app.router.add_get(f"{PREFIX}/updates", routes.pending_updates)
    app.router.add_post(f"{PREFIX}/updates", routes.raw_update)


def _reply(body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda b: json.dumps(b, ensure_ascii=False))


def _problem(status: int, message: str) -> web.HTTPException:
    body = json.dumps({"error": message}, ensure_ascii=False)
    kind = {400: web.HTTPBadRequest, 404: web.HTTPNotFound}[status]
    return kind(text=body, content_type="application/json")


async def _body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise _problem(400, f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise _problem(400, "body must be a JSON object")
    return body


def _wait_seconds(request: web.Request) -> float:
    try:
        return min(max(float(request.query.get("wait", 0)), 0.0), _LONGEST_WAIT)
    except ValueError as exc:
        raise _problem(400, "wait must be a number of seconds") from exc


class _Routes:
    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu

    def _player(self, request: web.Request) -> Player:
        try:
            return self.emu.player(int(request.match_info["user_id"]))
        except (KeyError, ValueError) as exc:
            raise _problem(404, f"no user {request.match_info['user_id']}") from exc

    async def info(self, request: web.Request) -> web.Response:
        return _reply({"url": self.emu.url, "bot": self.emu.world.bot, "api_url": self.emu.api_url})

    async def list_users(self, request: web.Request) -> web.Response:
        return _reply([p.user for p in self.emu.players])

    async def create_user(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if not isinstance(body.get("id"), int):
            raise _problem(400, "id (an integer) is required")
        player = self.emu.user(
            body["id"],
            body.get("first_name", ""),
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "zh"),
        )
        return _reply({"user": player.user, "chat": player.chat}, 201)

    async def send(self, request: web.Request) -> web.Response:
        """Body: one of text, command (+args), location {latitude, longitude}, photo,
        document, sticker, contact, voice."""
        player = self._player(request)
        body = await _body(request)
        try:
            message = await _perform_send(player, body)
        except (LookupError, ValueError, TypeError) as exc:
            raise _problem(400, str(exc)) from exc
        return _reply({"message": message})

    async def press(self, request: web.Request) -> web.Response:
        """Body: {"text": label} (newest message showing it) or with "message_id"; or
        {"data": callback_data, "message_id": N}."""
        player = self._player(request)
        body = await _body(request)
        try:
            if "data" in body:
                query_id = await player.press_data(body["message_id"], body["data"])
            elif "message_id" in body:
                query_id = await player.press(body["message_id"], body["text"])
            else:
                query_id = await player.press(body["text"])
        except (LookupError, ValueError) as exc:
            raise _problem(400, str(exc)) from exc
        return _reply({"callback_query_id": query_id})

    async def reply_button(self, request: web.Request) -> web.Response:
        player = self._player(request)
        body = await _body(request)
        try:
            message = await player.tap_reply_button(
                body["text"], latitude=body.get("latitude"), longitude=body.get("longitude")
            )
        except (LookupError, ValueError) as exc:
            raise _problem(400, str(exc)) from exc
        return _reply({"message": message})

    async def block(self, request: web.Request) -> web.Response:
        self._player(request).block_bot()
        return _reply({"blocked": True})

    async def unblock(self, request: web.Request) -> web.Response:
        self._player(request).unblock_bot()
        return _reply({"blocked": False})

    async def messages(self, request: web.Request) -> web.Response:
        """Bot messages with message_id > after; with wait, holds until one exists."""
        chat = self.emu.world.chat(_int_or_404(request.match_info["chat_id"]))
        if chat is None:
            raise _problem(404, f"no chat {request.match_info['chat_id']}")
        try:
            after = int(request.query.get("after", 0))
        except ValueError as exc:
            raise _problem(400, "after must be a message_id") from exc

        def newer() -> list[dict]:
            return [m for m in chat.bot_messages() if m["message_id"] > after]

        found = await chat.changed.wait_for(
            lambda: newer() or self.emu.api.closing, _wait_seconds(request)
        )
        messages = found if isinstance(found, list) else []
        return _reply({"messages": messages, "reply_keyboard": chat.reply_keyboard})

    async def callback_answer(self, request: web.Request) -> web.Response:
        record = self.emu.world.callbacks.get(request.match_info["query_id"])
        if record is None:
            raise _problem(404, f"no callback query {request.match_info['query_id']}")
        await self.emu.world.callbacks_changed.wait_for(
            lambda: record.answer or self.emu.api.closing, _wait_seconds(request)
        )
        answer = record.answer
        return _reply({"answered": answer is not None, "answer": answer})

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await _body(request)
        fault = self.emu.faults.add(
            method=body.get("method"),
            status=int(body.get("status", 429)),
            retry_after=int(body.get("retry_after", 1)),
            count=body.get("count", 1),
            description=body.get("description"),
            take_effect=bool(body.get("take_effect", False)),
        )
        return _reply(
            {"method": fault.method, "status": fault.status, "count": fault.remaining}, 201
        )

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.emu.faults.clear()
        return _reply({"cleared": True})

    async def add_delay(self, request: web.Request) -> web.Response:
        body = await _body(request)
        delay = self.emu.faults.delay(
            float(body.get("seconds", 1)), method=body.get("method"), count=body.get("count")
        )
        return _reply({"method": delay.method, "seconds": delay.seconds}, 201)

    async def stats(self, request: web.Request) -> web.Response:
        return _reply(self.emu.stats)

    async def calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = self.emu.calls_to(method) if method else self.emu.calls
        return _reply([{"method": c.method, "params": c.params, "status": c.status} for c in calls])

    async def pending_updates(self, request: web.Request) -> web.Response:
        return _reply(self.emu.pending_updates)

    async def raw_update(self, request: web.Request) -> web.Response:
        update_id = self.emu.raw_update(await _body(request))
        return _reply({"update_id": update_id}, 201)


def _int_or_404(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise _problem(404, f"no chat {text}") from exc


async def _perform_send(player: Player, body: dict) -> dict:
    if "text" in body:
        return await player.send(body["text"], reply_to=body.get("reply_to"))
    if "command" in body:
        return await player.command(body["command"], body.get("args", ""))
    if "location" in body or "latitude" in body:
        place = body.get("location") or body
        return await player.send_location(float(place["latitude"]), float(place["longitude"]))
    if "photo" in body:
        options = body["photo"] if isinstance(body["photo"], dict) else {}
        return await player.send_photo(caption=options.get("caption") or body.get("caption"))
    if "document" in body:
        options = body["document"] if isinstance(body["document"], dict) else {}
        return await player.send_document(options.get("name", "document.pdf"))
    if "sticker" in body:
        return await player.send_sticker()
    if "contact" in body:
        return await player.send_contact()
    if "voice" in body:
        return await player.send_voice()
    raise ValueError(
        "say what to send: text, command, location, photo, document, sticker, contact or voice"
    )
