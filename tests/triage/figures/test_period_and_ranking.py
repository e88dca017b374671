"""Local days and the weighted ranking, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from triage.figures.period import FiguresError, Period
from triage.figures.ranking import ranked, score

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_period_is_bounded_by_local_midnights_until_inclusive():
    period = Period.parse("2026-11-01", "2026-11-30")
    start, end = period.bounds(SHANGHAI)
    assert start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert period.days == 30
    assert period.previous() == Period(date(2026, 10, 2), date(2026, 10, 31))


def test_one_day_has_one_day_before_it():
    assert Period.parse("2026-12-01", "2026-12-01").previous() == Period(
        date(2026, 11, 30), date(2026, 11, 30)
    )


@pytest.mark.parametrize(
    ("since", "until", "says"),
    [
        ("2026-13-01", "2026-12-01", "--since '2026-13-01' is not a date"),
        ("2026-11-01", "yesterday", "--until 'yesterday' is not a date"),
        ("2026-11-1", "2026-11-30", "is not a date (YYYY-MM-DD)"),
        ("2026-12-02", "2026-12-01", "--since 2026-12-02 is after --until 2026-12-01"),
        ("0001-01-01", "2026-12-01", "--since 0001-01-01: give a day from 1900 to 2999"),
        ("9999-12-01", "9999-12-31", "--since 9999-12-01: give a day from 1900 to 2999"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(since, until, says):
    with pytest.raises(FiguresError, match=says.replace("(", r"\(").replace(")", r"\)")):
        Period.parse(since, until)


WEIGHTS = {"ack_in_time_rate": 0.5, "satisfaction_rate": 0.5}


def test_the_score_weighs_only_the_known_rates():
    assert score({"ack_in_time_rate": 0.5, "satisfaction_rate": 1.0}, WEIGHTS) == 75.0
    assert score({"ack_in_time_rate": 0.5, "satisfaction_rate": None}, WEIGHTS) == 50.0
    assert score({"ack_in_time_rate": None}, WEIGHTS) is None


def test_equal_scores_share_a_rank_and_the_unscored_come_last():
    units = [
        {"grid": "A", "ack_in_time_rate": 0.5},
        {"grid": "B", "ack_in_time_rate": None},
        {"grid": "C", "ack_in_time_rate": 1.0},
        {"grid": "D", "ack_in_time_rate": 0.5},
        {"grid": "E", "ack_in_time_rate": 0.2},
    ]
    order = [(u["grid"], u["score"], u["rank"]) for u in ranked(units, WEIGHTS)]
    assert order == [
        ("C", 100.0, 1),
        ("A", 50.0, 2),
        ("D", 50.0, 2),
        ("E", 20.0, 4),
        ("B", None, None),
    ]
