"""Message text the way Telegram stores it: plain text plus entities.

Offsets and lengths count UTF-16 code units, as in the Bot API; an emoji counts twice,
a Chinese character once.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .errors import ApiError, bad_request

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict]:
    """The bot_command entities Telegram attaches to a user's text."""
    return [
        {
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
            "type": "bot_command",
        }
        for match in _COMMAND.finditer(text)
    ]


def apply_parse_mode(text: str, parse_mode: str | None, entities: list | None) -> tuple:
    """Returns (plain text, entities or None) as Telegram would store the message."""
    if parse_mode and parse_mode.lower() == "html":
        return parse_html(text)
    if parse_mode and parse_mode.lower() not in ("markdown", "markdownv2"):
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    # Markdown modes are passed through unparsed: the product speaks HTML.
    return text, (entities or None)


def parse_html(source: str) -> tuple[str, list[dict] | None]:
    parser = _HtmlToEntities(source)
    parser.feed(source)
    parser.close()
    return parser.result()


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


class _HtmlToEntities(HTMLParser):
    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self._source = source
        self._lines = source.split("\n")
        self._text: list[str] = []
        self._length = 0
        self._open: list[tuple[str, dict | None]] = []
        self._entities: list[dict] = []

    def result(self) -> tuple[str, list[dict] | None]:
        entities = sorted(self._entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self._text), (entities or None)

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        self._length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        kind = _HTML_TAGS.get(tag)
        attributes = dict(attrs)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        entity: dict | None = {"offset": self._length, "length": 0, "type": kind}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "code" and self._open and self._open[-1][0] == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, not two.
            self._label_pre(self._open[-1][1], attributes.get("class") or "")
            entity = None
        self._open.append((tag, entity))

    @staticmethod
    def _label_pre(pre: dict | None, css_class: str) -> None:
        language = css_class.removeprefix("language-")
        if pre is not None and language:
            pre["language"] = language

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            raise _cant_parse(f"Unexpected end tag at byte offset {self._offset()}")
        expected, entity = self._open.pop()
        if expected != tag:
            raise _cant_parse(
                f"Unmatched end tag at byte offset {self._offset()}, "
                f'expected "</{expected}>", found "</{tag}>"'
            )
        if entity is not None:
            entity["length"] = self._length - entity["offset"]
            if entity["length"]:
                self._entities.append(entity)

    def close(self) -> None:
        super().close()
        if self._open:
            raise _cant_parse(
                f'Can\'t find end tag corresponding to start tag "{self._open[-1][0]}"'
            )

    def _offset(self) -> int:
        line, column = self.getpos()
        index = sum(len(text) + 1 for text in self._lines[: line - 1]) + column
        return len(self._source[:index].encode())
