"""Builders of Bot API objects, complete enough that a strict client finds every field."""

from __future__ import annotations


def drop_none(fields: dict) -> dict:
    # Telegram omits absent optional fields rather than sending null.
    return {key: value for key, value in fields.items() if value is not None}


def bot_user(bot_id: int, name: str, username: str) -> dict:
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": name,
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def person(
    user_id: int,
    first_name: str,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> dict:
    return drop_none(
        {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
    )


def private_chat(user: dict) -> dict:
    return drop_none(
        {
            "id": user["id"],
            "first_name": user["first_name"],
            "last_name": user.get("last_name"),
            "username": user.get("username"),
            "type": "private",
        }
    )


def chat_full_info(chat: dict) -> dict:
    return {
        **chat,
        "accent_color_id": chat["id"] % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }


def message(message_id: int, date: int, chat: dict, sender: dict, **content) -> dict:
    return {
        "message_id": message_id,
        "from": sender,
        "chat": chat,
        "date": date,
        **drop_none(content),
    }


def photo_size(file: dict, width: int, height: int) -> dict:
    return {
        "file_id": file["file_id"],
        "file_unique_id": file["file_unique_id"],
        "file_size": file["file_size"],
        "width": width,
        "height": height,
    }


def location(latitude: float, longitude: float, **extra) -> dict:
    return drop_none({"latitude": latitude, "longitude": longitude, **extra})


def callback_query(query_id: str, user: dict, source: dict, chat_instance: str, data: str) -> dict:
    return {
        "id": query_id,
        "from": user,
        "message": source,
        "chat_instance": chat_instance,
        "data": data,
    }


def my_chat_member(chat: dict, user: dict, bot: dict, date: int, old: str, new: str) -> dict:
    return {
        "chat": chat,
        "from": user,
        "date": date,
        "old_chat_member": _member(bot, old, date),
        "new_chat_member": _member(bot, new, date),
    }


def _member(bot: dict, status: str, date: int) -> dict:
    if status == "kicked":
        return {"user": bot, "status": "kicked", "until_date": 0}
    return {"user": bot, "status": status}


def webhook_info(
    url: str,
    pending: int,
    max_connections: int | None,
    allowed_updates: list | None,
    last_error_date: int | None,
    last_error_message: str | None,
) -> dict:
    info = {"url": url, "has_custom_certificate": False, "pending_update_count": pending}
    if url:
        info.update(
            drop_none(
                {
                    "max_connections": max_connections or 40,
                    "ip_address": "127.0.0.1",
                    "allowed_updates": allowed_updates,
                    "last_error_date": last_error_date,
                    "last_error_message": last_error_message,
                }
            )
        )
    return info


def update_kind(update: dict) -> str | None:
    """The update's payload field ("message", "callback_query", ...), if it has one."""
    return next((key for key in update if key != "update_id"), None)
