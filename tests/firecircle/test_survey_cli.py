"""`firecircle survey create|send|results|close`: the id on the last line, bulk outbox rows for
the residents who agreed, the figures as text and JSON, and one clear line for bad input."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import select

from storage.engine import make_engine, make_session_factory, transaction
from storage.models import OutboxMessage, Report, Resident, SurveyConsent, SurveyRecipient
from tests.harness import run
from triage.actors import resident_actor
from triage.protection.privacy import forget_resident
from triage.surveys.desk import SurveyDesk

URL = "sqlite+aiosqlite:///./var/firecircle.db"
FORM = """title: 社区消防征询意见
questions:
  - type: rating
    text: 您对本社区的消防工作满意吗？
  - type: single_choice
    text: 您家里有灭火器吗？
    options: [有, 没有, 不清楚]
  - type: text
    text: 还有什么建议？
"""


def write(workdir, text: str, name: str = "survey.yaml"):
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def on_database(step):
    async def go():
        engine = make_engine(URL)
        try:
            return await step(make_session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(go())


def seed(residents: list[tuple[int, str | None, bool | None]]) -> None:
    """(telegram id, community reported in or None, consent: True, False or never asked)."""

    async def step(sessions):
        async with transaction(sessions) as session:
            for telegram_id, community, agreed in residents:
                row = Resident(telegram_id=telegram_id, chat_id=telegram_id)
                session.add(row)
                await session.flush()
                if community:
                    session.add(Report(resident_id=row.id, text="堆物", community=community))
                if agreed is not None:
                    session.add(SurveyConsent(resident_id=row.id, agreed=agreed))

    on_database(step)


def created(capsys, workdir) -> int:
    code, out, err = run(capsys, "survey", "create", write(workdir, FORM))
    assert code == 0, err
    return int(out.strip().splitlines()[-1])


def test_create_send_and_results(district, capsys):
    seed(
        [
            (9001, "幸福社区", True),
            (9002, "幸福社区", True),
            (9003, "幸福社区", False),  # said no
            (9004, "幸福社区", None),  # never asked
            (9005, "和平社区", True),  # elsewhere
        ]
    )
    survey_id = created(capsys, district)
    code, out, _ = run(capsys, "survey", "send", str(survey_id), "--community", "幸福社区")
    assert code == 0 and "2 residents" in out
    code, out, _ = run(capsys, "survey", "send", str(survey_id), "--community", "幸福社区")
    assert code == 0 and "0 residents" in out  # nobody gets it twice

    async def outbox(sessions):
        async with transaction(sessions) as session:
            return (await session.exec(select(OutboxMessage))).all()

    rows = on_database(outbox)
    assert sorted(r.chat_id for r in rows) == [9001, 9002]
    assert {r.priority for r in rows} == {90}
    assert "（1/3）您对本社区的消防工作满意吗？" in rows[0].payload["text"]

    async def answer(sessions):
        desk = SurveyDesk(sessions)
        async with transaction(sessions) as session:
            recipients = (await session.exec(select(SurveyRecipient))).all()
            residents = {r.id: r for r in (await session.exec(select(Resident))).all()}
        for recipient, (stars, choice, words) in zip(
            recipients, [(5, "0", "楼道里电动车太多"), (3, "1", None)], strict=True
        ):
            who = resident_actor(residents[recipient.resident_id])
            await desk.answer(who, recipient.id, 0, str(stars))
            await desk.answer(who, recipient.id, 1, choice)
            if words:
                assert (await desk.typed(who, words)).say == "thanks"
            else:
                await desk.answer(who, recipient.id, 2, "-")

    on_database(answer)
    code, out, _ = run(capsys, "survey", "results", str(survey_id), "--json")
    found = json.loads(out)
    assert code == 0
    assert (found["sent"], found["answered"], found["response_rate"]) == (2, 2, 1.0)
    rating, choice, text = found["questions"]
    assert (rating["mean"], rating["satisfied_rate"]) == (4.0, 0.5)
    assert [c["count"] for c in choice["counts"]] == [1, 1, 0]
    assert (text["answers"], text["skipped"]) == (1, 1)
    assert found["themes"] == [{"theme": "ebike", "count": 1, "examples": ["楼道里电动车太多"]}]
    code, out, _ = run(capsys, "survey", "results", str(survey_id))
    assert code == 0 and "回收率 100.0%" in out and "电动车" in out

    # Forgotten: their words go, their answers still count, and nothing is sent them again.
    on_database(lambda sessions: forget_resident(sessions, 9001))
    code, out, _ = run(capsys, "survey", "results", str(survey_id), "--json")
    found = json.loads(out)
    assert found["questions"][2]["answers"] == 1 and found["themes"] == []
    code, out, _ = run(
        capsys, "survey", "send", str(created(capsys, district)), "--community", "幸福社区"
    )
    assert code == 0 and "1 residents" in out  # 9002 only

    code, out, _ = run(capsys, "survey", "close", str(survey_id))
    assert code == 0
    code, _, err = run(capsys, "survey", "send", str(survey_id), "--grid", "DH-01-01")
    assert code == 1 and "已结束" in err and "is closed" in err


def test_send_by_grid_and_by_reporters_since(district, capsys):
    seed([(9101, "幸福社区", True)])
    survey_id = created(capsys, district)
    code, out, _ = run(capsys, "survey", "send", str(survey_id), "--grid", "DH-01-01")
    assert code == 0 and "0 residents" in out  # their report is on no cell
    code, out, _ = run(capsys, "survey", "send", str(survey_id), "--reporters-since", "2026-01-01")
    assert code == 0 and "1 residents" in out


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        (
            "title: x\nquestions:\n  - type: multiple\n    text: 哪些？\n",
            "第1题的类型「multiple」不认识",
            "unknown type 'multiple'",
        ),
        ("title: x\nquestions: []\n", "问卷没有任何问题", "has no questions"),
        ("title: x\n", "问卷没有任何问题", "has no questions"),
        ("questions:\n  - type: text\n    text: a\n", "缺少 title", "title is missing"),
        (
            "title: x\nquestions:\n  - type: choice\n    text: a\n    options: [one]\n",
            "需要2到8个选项",
            "needs 2 to 8 options",
        ),
        ("title: [unclosed\n", "不是有效的 YAML", "not valid YAML"),
        (
            "title: x\nuntil: 9999-12-31\nquestions:\n  - {type: text, text: a}\n",
            "太远了",
            "until 9999-12-31 is too far (at most 2999)",
        ),
        (
            "title: x\nquestions:\n  - {type: single_choice, text: a, options: [有, 有]}\n",
            "第1题的选项「有」重复了",
            "question 1 has the option '有' twice",
        ),
        (
            "title: x\nquestions:\n  - {type: single_choice, text: a, options: [yes, no]}\n",
            "被读成了真假值",
            "question 1 option 1 reads as true/false",
        ),
    ],
)
def test_a_bad_file_is_refused_and_nothing_stored(district, capsys, text, zh, en):
    code, out, err = run(capsys, "survey", "create", write(district, text))
    assert code == 1 and out == "" and zh in err and en in err and err.count("\n") == 1
    code, _, err = run(capsys, "survey", "results", "1")
    assert code == 1 and "没有编号为 1 的问卷" in err


@pytest.mark.parametrize(
    ("scope", "zh", "en"),
    [
        (["--community", "无名社区"], "没有叫「无名社区」的社区", "no community called '无名社区'"),
        (["--grid", "NOPE"], "没有编号为 NOPE 的网格", "no grid cell 'NOPE'"),
        (["--reporters-since", "2999-01-01"], "还没到", "in the future"),
    ],
)
def test_sending_to_an_unknown_place_is_refused(district, capsys, scope, zh, en):
    survey_id = created(capsys, district)
    code, out, err = run(capsys, "survey", "send", str(survey_id), *scope)
    assert code == 1 and out == "" and zh in err and en in err


def test_reporters_since_a_day_out_of_range_is_refused(district, capsys):
    survey_id = created(capsys, district)
    code, _, err = run(capsys, "survey", "send", str(survey_id), "--reporters-since", "0001-01-01")
    assert code == 2 and "请给1900到2999年之间的日期" in err and "from 1900 to 2999" in err
    assert "Error:" not in err


def test_send_needs_exactly_one_scope_and_a_known_survey(district, capsys):
    code, _, err = run(capsys, "survey", "send", "1")
    assert code == 2 and "--community" in err
    code, _, err = run(capsys, "survey", "send", "42", "--community", "幸福社区")
    assert code == 1 and "there is no survey 42" in err
