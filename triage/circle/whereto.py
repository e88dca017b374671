"""Where-to-go questions ("哪里可以检测灭火器", "附近哪里有微型消防站", "where can I refill my
extinguisher"): which kinds of service point they ask for, nearest first."""

from __future__ import annotations

import re

from triage.circle.places import TYPES

_WHERE = re.compile(
    r"哪里|哪儿|哪裡|哪个地方|哪家|在哪|去哪|附近|最近的|周边|周围"
    r"|\bwhere\b|\bnearest\b|\bnearby\b|\bnear me\b|\bclosest\b",
    re.IGNORECASE,
)
# What is sought → the kinds of place that serve it, the best first.
_SOUGHT: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = (
    (
        re.compile(r"充装|充气|充粉|灌装|换药|加粉|\brefill|\brecharge", re.I),
        ("refill", "check"),
    ),
    (
        re.compile(
            r"(检测|检查|年检|维修|检验).{0,6}灭火器|灭火器.{0,6}(检测|检查|年检|维修|检验)"
            r"|(check|inspect|test|servic)\w*\b.{0,30}extinguisher"
            r"|extinguisher.{0,30}\b(check|inspect|test|servic)",
            re.I,
        ),
        ("check", "refill"),
    ),
    (re.compile(r"微型消防站|消防站|fire station", re.I), ("micro_station",)),
    (re.compile(r"警务室|派出所|police", re.I), ("police_room",)),
    (re.compile(r"服务窗口|办事窗口|service window", re.I), ("service_window",)),
    (
        re.compile(r"消防咨询|咨询点|咨询消防|consult|advice", re.I),
        ("consultation", "police_room", "service_window"),
    ),
    (
        re.compile(r"消防服务点|服务点|便民服务|service point|fire.?safety (help|service)", re.I),
        tuple(TYPES),
    ),
)


def asks_where(text: str) -> bool:
    """A question about where to go (an answer to it offers 📍 附近服务点)."""
    return len(text) <= 200 and _WHERE.search(text) is not None


def sought(text: str) -> tuple[str, ...] | None:
    """The kinds of service point a where-to-go question asks for; None: not such a question."""
    if len(text) > 200 or not _WHERE.search(text):
        return None
    for pattern, kinds in _SOUGHT:
        if pattern.search(text):
            return kinds
    return None
