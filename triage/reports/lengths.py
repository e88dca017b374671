"""How much text the service keeps, and how much of it a message to someone else quotes.

Telegram caps a message at 4,096 characters: a text is kept up to that (a longer one, which
only a forged update carries, is cut there, never refused), and a notice that quotes someone's
words around lines of its own quotes at most QUOTE_CHARS of them (half that each when it
quotes two), so it still goes out as one message.
"""

from __future__ import annotations

TEXT_MAX_CHARS = 4096
QUOTE_CHARS = 3800
# A reason to close (结案) is read by the resident on a phone: this long at most
CLOSE_REASON_MAX = 500


def quoted(text: str, limit: int = QUOTE_CHARS) -> str:
    """The text as a notice quotes it: whole, or its start and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
