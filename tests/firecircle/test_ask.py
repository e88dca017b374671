"""`firecircle ask`: the verdict in plain words (answers at once, or hands over to staff, with
or without the nearest questions offered first) and the best candidates with their scores."""

from __future__ import annotations

import re

import pytest

from firecircle.cli import main
from triage.answers.knowledge import KnowledgeBase


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("FIRECIRCLE_DATABASE_URL", "FIRECIRCLE_BOT_TOKEN", "FIRECIRCLE_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def ask(capsys, question: str) -> list[str]:
    assert main(["ask", question]) == 0
    return capsys.readouterr().out.splitlines()


def candidates(lines: list[str]) -> list[tuple[float, float, str]]:
    start = next(i for i, line in enumerate(lines) if line.startswith("candidates"))
    rows = []
    for line in lines[start + 1 :]:
        found = re.match(r"^  (\d\.\d\d)  (\d\.\d\d)  (\S+)  ", line)
        if not found:
            break
        rows.append((float(found[1]), float(found[2]), found[3]))
    return rows


def test_a_question_it_knows_is_answered_at_once(workdir, capsys):
    lines = ask(capsys, "灭火器怎么用？")
    assert lines[1].startswith("THE BOT ANSWERS at once with ext-how-to-use")
    assert "needs 0." in lines[1] and "(zh)" in lines[1]
    rows = candidates(lines)
    assert rows[0][2] == "ext-how-to-use" and 2 <= len(rows) <= 3
    assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True)
    assert any(line.startswith("  source: ") for line in lines)


def test_an_english_question_is_judged_on_the_english_threshold(workdir, capsys):
    lines = ask(capsys, "my smoke detector keeps chirping")
    assert lines[1].startswith("THE BOT ANSWERS at once with alarm-battery")
    assert "(en)" in lines[1]


def test_a_vague_question_hands_over_and_offers_the_nearest(workdir, capsys):
    lines = ask(capsys, "灭火器")
    assert lines[1].startswith("HANDS OVER TO STAFF, offering the nearest questions first")
    rows = candidates(lines)
    assert len(rows) == 3 and all(r[2].startswith("ext-") for r in rows)
    assert all(r[2] in lines[1] for r in rows)  # the ones offered are the ones listed
    answer = KnowledgeBase.from_shipped_file().answer("灭火器")
    assert [c.entry.id for c in answer.nearest] == [r[2] for r in rows]


@pytest.mark.parametrize(
    "question", ["附近哪家火锅店好吃", "what's the best pizza place near the station"]
)
def test_an_off_topic_question_hands_over_without_offers(workdir, capsys, question):
    lines = ask(capsys, question)
    assert lines[1].startswith("HANDS OVER TO STAFF: no entry is close enough")


def test_nothing_matching_hands_over(workdir, capsys):
    lines = ask(capsys, "qwxz")
    assert lines[1] == "HANDS OVER TO STAFF: no entry matches at all"
