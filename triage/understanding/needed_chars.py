"""Characters a text must hold for a regex to match it, read from the pattern itself: a text
without them cannot match, and its search is skipped (issue 14: a message's 156 category
searches were a quarter of reading it, most in texts lacking what their terms are made of).

Each part a match must consume (a literal, a class of literals or a short range, an
alternation, a group or a repeat of them that cannot match nothing), at the pattern's top
level or inside a lookahead there, begins with one of a few characters, so the text holds at
least one of them. Anything the pattern does not say plainly (any character, a negated or
named class, ignoring case) says nothing, and a pattern that says nothing is always searched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import _constants as sre  # the parser's own names for what it reads
from re import _parser

_WIDEST_RANGE = 256  # characters a class's range may hold before it is "anything"
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
_AHEAD = 1  # an ASSERT's direction: a lookahead (-1: behind)


class Searches:
    """Regexes to search a text with, in their order: which of them it may match, found by
    the characters it holds (a dictionary look a character, not a test a regex)."""

    def __init__(self, regexes: Sequence[re.Pattern[str]]):
        self._always: set[int] = set()
        self._by_char: dict[str, list[int]] = {}
        for index, regex in enumerate(regexes):
            needed = needed_chars(regex)
            if needed is None:
                self._always.add(index)
            for char in needed or ():
                self._by_char.setdefault(char, []).append(index)

    def candidates(self, text: str) -> list[int]:
        """The indexes of the regexes the text may match, in order."""
        found = set(self._always)
        for char in set(text):
            indexes = self._by_char.get(char)
            if indexes is not None:
                found.update(indexes)
        return sorted(found)


def needed_chars(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Characters a text must hold one of for `regex` to match it (the fewest the pattern
    says plainly); None when it says nothing plainly."""
    if regex.flags & re.IGNORECASE:
        return None
    try:
        found = _needs(_parser.parse(regex.pattern, regex.flags))
    except (re.error, RecursionError):
        return None
    return min(found, key=len, default=None)


class _Unknown(Exception):
    """The pattern does not say plainly how this part begins."""


def _needs(items) -> list[frozenset[str]]:
    found = []
    for op, value in items:
        if op is sre.ASSERT and value[0] == _AHEAD:
            found += _needs(value[1])  # what it looks for is in the text too
            continue
        if op in _ZERO_WIDTH:
            continue
        try:
            chars, empty = _item(op, value)
        except _Unknown:
            continue
        if not empty:
            found.append(frozenset(chars))
    return found


def _begins(items) -> tuple[set[str], bool]:
    """What the sequence's matches may begin with, and whether it may match nothing."""
    chars: set[str] = set()
    for op, value in items:
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the next part begins the match
        found, empty = _item(op, value)
        chars |= found
        if not empty:
            return chars, False
    return chars, True


def _item(op, value) -> tuple[set[str], bool]:
    if op is sre.LITERAL:
        return {chr(value)}, False
    if op is sre.IN:
        return _class(value), False
    if op is sre.BRANCH:
        chars, empty = set(), False
        for alternative in value[1]:
            found, may_be_empty = _begins(alternative)
            chars |= found
            empty = empty or may_be_empty
        return chars, empty
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, pattern = value
        if (add_flags | del_flags) & re.IGNORECASE:
            raise _Unknown
        return _begins(pattern)
    if op is sre.ATOMIC_GROUP:
        return _begins(value)
    if op in _REPEATS:
        least, _most, pattern = value
        chars, empty = _begins(pattern)
        return chars, empty or least == 0
    raise _Unknown


def _class(items) -> set[str]:
    chars: set[str] = set()
    for op, value in items:
        if op is sre.LITERAL:
            chars.add(chr(value))
        elif op is sre.RANGE and value[1] - value[0] <= _WIDEST_RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:  # negated, a named class (\d, \w), a wide range
            raise _Unknown
    return chars
