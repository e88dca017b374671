"""What counts as an update, for the webhook and for polling alike.

An update is a JSON object whose update_id is an integer 0…2^63−1 (the inbox column is a
signed 64-bit integer; a boolean is not an id, though Python counts it as an int), nested no
deeper than any real update is. Numbers JSON cannot carry (NaN, ±Infinity, which Python's
parser accepts) are kept as their names and text that is not Unicode is mended, so the
payload stays storable everywhere and a handler sees the odd input for what it is.
"""

from __future__ import annotations

import math
from typing import Any

UPDATE_ID_MAX = 2**63 - 1
MAX_DEPTH = 32  # a real update nests about ten levels (a reply to a message with a keyboard)


def problem(payload: Any) -> str | None:
    """Why this payload is not an update we store; None if it is one."""
    if not isinstance(payload, dict):
        return "not an object"
    update_id = payload.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= UPDATE_ID_MAX:
        return "update_id is not an integer 0…2^63−1"
    if too_deep(payload):
        return f"nested deeper than {MAX_DEPTH} levels"
    return None


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Walked without recursion: a hostile payload must not exhaust the stack."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def storable(value: Any) -> Any:
    """The payload with NaN and ±Infinity as strings and a lone surrogate (a "\\ud800" escape:
    no character, so no UTF-8 to store or send) as U+FFFD; a payload already checked for
    depth."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    if isinstance(value, str):
        return _unicode(value)
    if isinstance(value, dict):
        return {_unicode(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def _unicode(text: str) -> str:
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
