"""A card's clock: the deadline the task waits on, as time left or overdue when it is drawn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.taskcard import text, time_line

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def card(status: str, **deadlines: timedelta) -> dict:
    at = {k: (NOW + v).isoformat() for k, v in deadlines.items()}
    return {
        "report_id": 1,
        "reference": "FC-000001",
        "kind": "hazard",
        "category": None,
        "text": "楼道堆放杂物",
        "status": status,
        "level": 0,
        "created_at": (NOW - timedelta(minutes=4)).isoformat(),
        "assignee": "王建国",
        **{"ack_deadline_at": None, "rectify_deadline_at": None, **at},
    }


def test_time_left_to_acknowledge_and_overdue():
    waiting = card("assigned", ack_deadline_at=timedelta(minutes=6, seconds=20))
    assert time_line("zh", waiting, NOW) == "⏱ 还剩6分钟接单"
    assert time_line("en", waiting, NOW) == "⏱ 6 min left to acknowledge"
    late = card("assigned", ack_deadline_at=-timedelta(minutes=12))
    assert time_line("zh", late, NOW) == "⚠️ 接单已超时12分钟"
    assert time_line("en", late, NOW) == "⚠️ Acknowledgement 12 min overdue"


def test_time_left_to_fix_once_acknowledged():
    fixing = card(
        "acknowledged",
        ack_deadline_at=-timedelta(hours=3),  # long past, and no longer what it waits on
        rectify_deadline_at=timedelta(hours=2, minutes=5),
    )
    assert time_line("zh", fixing, NOW) == "⏱ 整改还剩2小时5分钟"
    overdue = card("acknowledged", rectify_deadline_at=-timedelta(seconds=40))
    assert time_line("zh", overdue, NOW) == "⚠️ 整改已超时40秒"
    assert time_line("en", overdue, NOW) == "⚠️ Fix 40 s overdue"


def test_nothing_to_wait_for_once_done():
    for status in ("resolved", "closed", "merged"):
        assert time_line("zh", card(status, ack_deadline_at=-timedelta(hours=1)), NOW) is None
    assert time_line("zh", card("acknowledged"), NOW) is None  # a question: nothing to fix


def test_the_card_is_drawn_as_of_its_moment():
    waiting = card("assigned", ack_deadline_at=timedelta(minutes=10))
    assert "还剩10分钟接单" in text("zh", waiting, SHANGHAI, now=NOW)
    assert "已超时5分钟" in text("zh", waiting, SHANGHAI, now=NOW + timedelta(minutes=15))
    assert "待王建国接单" in text("zh", waiting, SHANGHAI, now=NOW)


def test_a_card_drawn_as_its_deadline_falls_says_it_is_due_not_zero_seconds_late():
    from datetime import UTC, datetime, timedelta

    from bot.taskcard import time_line

    now = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    card = {"status": "assigned", "ack_deadline_at": (now - timedelta(seconds=0.4)).isoformat()}
    assert time_line("zh", card, now) == "⚠️ 接单时限已到"
    assert time_line("en", card, now) == "⚠️ Acknowledgement due now"
