"""The fire-safety knowledge base: its file, its table, answering, and `firecircle ask|faq`."""

from __future__ import annotations

import json
import statistics
import time

import pytest

from firecircle.cli import main
from storage import faq as queries
from storage.engine import make_engine, make_session_factory
from triage.answers.faq_file import (
    SHIPPED_FAQ,
    Entry,
    FaqFileError,
    format_faq_file,
    parse_faq_file,
    shipped_entries,
)
from triage.answers.faq_table import export_entries, import_entries, load_shipped_faq
from triage.answers.knowledge import Evidence, KnowledgeBase
from triage.answers.retrieval import Synonyms

SHIPPED_TEXT = SHIPPED_FAQ.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_shipped_file()


@pytest.fixture
async def sqlite_sessions(sqlite_url):
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    await engine.dispose()


# --- the file and the table ------------------------------------------------------------


def test_the_shipped_file_is_valid_and_bilingual():
    entries = shipped_entries()
    assert len(entries) >= 150
    assert all(e.question_zh and e.answer_zh and e.question_en and e.answer_en for e in entries)
    assert all(e.source_ref for e in entries)  # each answer says what it rests on
    assert max(len(e.answer_zh) for e in entries) <= 120  # a phone screen
    assert format_faq_file(entries) == SHIPPED_TEXT  # the file's own format, byte for byte


async def test_import_then_export_round_trips(sessions):
    result = await load_shipped_faq(sessions)
    assert (result.added, result.updated, result.unchanged) == (len(shipped_entries()), 0, 0)
    assert format_faq_file(await export_entries(sessions)) == SHIPPED_TEXT

    again = await import_entries(sessions, parse_faq_file(SHIPPED_TEXT))
    assert (again.added, again.updated) == (0, 0)

    # Upsert by id: one changed, one new (from staff, inactive); the rest untouched.
    first = json.loads(SHIPPED_TEXT.splitlines()[0])
    first["answer_en"] = "A new answer."
    extra = {
        "id": "staff-new-entry",
        "topic": "general",
        "question_zh": "社区有消防站开放日吗？",
        "answer_zh": "每年11月9日前后开放，具体时间看社区通知。",
        "keywords_zh": ["开放日"],
        "active": False,
        "source": "staff",
    }
    text = "\n".join(json.dumps(d, ensure_ascii=False) for d in (first, extra)) + "\n"
    result = await import_entries(sessions, parse_faq_file(text))
    assert (result.added, result.updated, result.unchanged) == (1, 1, 0)
    exported = await export_entries(sessions)
    assert exported[0].answer_en == "A new answer."
    assert exported[-1] == Entry(
        id="staff-new-entry",
        topic="general",
        question_zh="社区有消防站开放日吗？",
        answer_zh="每年11月9日前后开放，具体时间看社区通知。",
        keywords_zh=("开放日",),
        active=False,
        source="staff",
    )
    assert exported[0].source_ref == shipped_entries()[0].source_ref  # kept when not given
    assert parse_faq_file(format_faq_file(exported)) == exported  # round-trips
    async with sessions() as session:
        assert await queries.count_entries(session=session) == len(shipped_entries()) + 1
        assert await queries.count_entries(session=session, active_only=True) == len(
            shipped_entries()
        )
    # The knowledge base answers from the database's active entries only.
    kb = await KnowledgeBase.load(sessions)
    assert kb.source == "database" and "staff-new-entry" not in kb.by_id


async def test_an_empty_database_falls_back_to_the_shipped_file(sqlite_sessions):
    kb = await KnowledgeBase.load(sqlite_sessions)
    assert kb.source.startswith("shipped file") and len(kb) == len(shipped_entries())
    assert len(await KnowledgeBase.load(sqlite_sessions, fallback=False)) == 0


def test_source_ref_is_optional_and_round_trips():
    plain = {"id": "x-1", "topic": "general", "question_zh": "问？", "answer_zh": "答。"}
    (old,) = parse_faq_file(json.dumps(plain, ensure_ascii=False))
    assert old.source_ref is None and "source_ref" not in old.as_dict()
    (new,) = parse_faq_file(json.dumps({**plain, "source_ref": " GB 50016 "}))
    assert new.source_ref == "GB 50016"
    assert parse_faq_file(format_faq_file([new])) == [new]
    with pytest.raises(FaqFileError) as raised:
        parse_faq_file(json.dumps({**plain, "source_ref": 5}))
    assert raised.value.problems == ["line 1 (x-1): source_ref must be text or null"]


def test_a_bad_file_names_every_problem():
    good = SHIPPED_TEXT.splitlines()[0]
    bad_lines = [
        good,
        "{not json",
        json.dumps({"id": "Bad Id", "topic": "x", "question_zh": "问", "answer_zh": "答"}),
        json.dumps({"id": "no-answer", "topic": "x", "question_zh": "问"}),
        json.dumps(
            {"id": "typo", "topic": "x", "question_zh": "问", "answer_zh": "答", "ansver": 1}
        ),
        json.dumps(
            {
                "id": "lists",
                "topic": "x",
                "question_en": "Q",
                "answer_en": "A",
                "variants_en": "not a list",
            }
        ),  # fmt: skip
        good,  # the same id again
        "[1, 2]",
    ]
    with pytest.raises(FaqFileError) as caught:
        parse_faq_file("\n".join(bad_lines))
    problems = caught.value.problems
    assert len(problems) == 7, problems
    assert problems[0].startswith("line 2: not valid JSON")
    assert "line 3 (Bad Id): id must be" in problems[1]
    assert "line 4 (no-answer): question_zh has no answer_zh" in problems[2]
    assert "line 5 (typo): unknown field ansver" in problems[3]
    assert "line 6 (lists): variants_en must be a list" in problems[4]
    assert "line 7: id ext-types-home is already used on line 1" in problems[5]
    assert "line 8: expected a JSON object" in problems[6]
    with pytest.raises(FaqFileError, match="1 problem"):
        parse_faq_file("\n\n")


def test_synonyms_file_format():
    synonyms = Synonyms.parse("# comment\n电动车 = 电瓶车, 电驴\nsmoke alarm = smoke detector\n")
    assert synonyms.zh == {"电动车": "电动车", "电瓶车": "电动车", "电驴": "电动车"}
    assert synonyms.en["smoke detector"] == "smoke alarm"
    with pytest.raises(ValueError, match="line 1"):
        Synonyms.parse("电动车 电瓶车\n")


# --- answering -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "电瓶车可以推到楼道里充电吗",
        "小电驴能不能停在楼梯间",
        "电摩的电瓶能拿回家充吗",
    ],
)
def test_colloquial_e_bike_words_find_the_e_bike_entries(kb, question):
    answer = kb.answer(question)
    assert answer.entry is not None and answer.entry.topic == "ebike", answer
    assert answer.language == "zh"
    assert all(e.topic == "ebike" for e, _ in kb.rank(question)[:3])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("灭火筒的压力表指针在红区还能用吗", "ext-check-gauge"),
        ("烟感一直嘀嘀响是不是没电了", "alarm-battery"),
        ("家里闻到煤气味怎么办", "gas-smell"),
        ("楼下有人飞线给电动车充电", "ebike-flying-wire"),
    ],
)
def test_synonyms_reach_the_canonical_entry(kb, question, expected):
    answer = kb.answer(question)
    assert answer.entry is not None and answer.entry.id == expected, answer
    assert answer.confident and answer.text == answer.entry.answer_zh


def test_an_english_question_is_answered_in_english(kb):
    answer = kb.answer("My smoke detector keeps beeping every minute, why?")
    assert answer.entry is not None and answer.entry.id == "alarm-battery"
    assert answer.language == "en" and answer.confident
    assert answer.text == answer.entry.answer_en
    assert 0 < len(answer.related) <= 2 and answer.entry not in answer.related
    assert kb.answer("烟感为什么一直叫", "en").language == "en"  # the caller may choose


def test_an_english_answer_stands_out_even_when_every_match_is_full(kb):
    """English matches saturate: the best three may all cover the question. The lead is taken
    relative to the best entry, so the score is not 0 ("score 0.00 (match 1.00)")."""
    answer = kb.answer("my e-bike battery is swollen")
    assert [c.match for c in answer.candidates] == [1.0, 1.0, 1.0]
    assert answer.entry.id == "ebike-battery-swell" and answer.confident
    assert answer.score > answer.threshold == kb.confident_at["en"]
    assert [c.share for c in answer.candidates] == sorted(
        (c.share for c in answer.candidates), reverse=True
    )
    assert answer.candidates[0].share == 1.0 > answer.candidates[1].share


def test_confidence_weighs_match_lead_and_coverage():
    def chance(**changes):
        evidence = dict(language="zh", match=0.6, lead=0.4, lead3=0.5, coverage=0.8, words=6)
        return Evidence(**{**evidence, **changes}, unknown=0.0).chance()

    assert chance(match=0.0) == 0.0  # nothing matched
    assert 0 < chance(lead=0.0) < chance() < chance(lead=0.8) < 1  # a tie: little stands out
    assert chance(match=0.3) < chance() < chance(match=0.9)
    assert chance(coverage=0.3) < chance()
    assert chance(lead3=0.1) < chance()  # three alike: less sure than two


def test_a_question_judged_in_its_own_language_whatever_the_reply_language(kb):
    """The desk answers in the resident's language; the threshold is the question's."""
    question = "烟感为什么一直叫"
    assert kb.answer(question, "en").threshold == kb.answer(question).threshold
    assert kb.answer(question, "en").threshold == kb.confident_at["zh"]


def test_close_but_unsure_offers_the_nearest_questions(kb):
    answer = kb.answer("电动车电池")  # several e-bike battery entries fit as well
    assert not answer.confident and answer.text is None
    assert 2 <= len(answer.nearest) <= 3
    assert all(c.entry.topic == "ebike" for c in answer.nearest)
    assert answer.nearest == answer.candidates[: len(answer.nearest)]
    assert kb.answer("灭火器怎么用？").nearest == []  # confident: nothing to offer


@pytest.mark.parametrize(
    "question",
    [
        "今天股票行情怎么样",
        "附近哪家火锅店好吃",
        "what's the best pizza place near the station",
        "你好",
        "",
    ],
)
def test_an_off_topic_question_is_not_confident(kb, question):
    answer = kb.answer(question)
    assert not answer.confident and answer.text is None
    assert 0 <= answer.score < kb.threshold(question) == answer.threshold
    assert answer.nearest == []  # nothing close enough to offer either


def test_answers_are_deterministic_and_fast(kb):
    questions = [
        "灭火器多久换一次？",
        "how long can i leave my e bike charging overnight",
        "楼道里的防火门坏了关不上找谁",
        "油锅着火了能不能用水泼",
    ]
    other = KnowledgeBase(shipped_entries())
    for question in questions:
        assert kb.answer(question) == kb.answer(question) == other.answer(question)
    timings = []
    for _ in range(20):
        for question in questions:
            start = time.perf_counter()
            kb.answer(question)
            timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.005


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("FIRECIRCLE_DATABASE_URL", "FIRECIRCLE_BOT_TOKEN", "FIRECIRCLE_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ask_and_faq_commands(workdir, capsys):
    # Nothing set up yet: answers from the shipped file and says why.
    code, out, _ = run(capsys, "ask", "灭火筒多久要换一个新的")
    assert code == 0 and "shipped file" in out and "db upgrade" in out
    assert "ext-expiry" in out and "confidence" in out

    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, _ = run(capsys, "ask", "灭火筒多久要换一个新的")
    assert code == 0 and "shipped file" in out and "has none yet" in out

    bad = workdir / "bad.jsonl"
    bad.write_text(SHIPPED_TEXT.splitlines()[0] + "\n{oops\n", encoding="utf-8")
    code, _, err = run(capsys, "faq", "import", str(bad))
    assert code == 1 and "line 2: not valid JSON" in err and "nothing was imported" in err

    code, out, _ = run(capsys, "faq", "import", str(SHIPPED_FAQ))
    assert code == 0 and f"{len(shipped_entries())} new" in out

    code, out, _ = run(capsys, "ask", "my smoke detector keeps chirping")
    assert code == 0 and "the database" in out
    assert "alarm-battery" in out and "THE BOT ANSWERS" in out and "low-battery" in out
    assert "related:" in out

    code, out, _ = run(capsys, "ask", "附近哪家火锅店好吃")
    assert code == 0 and "HANDS OVER TO STAFF" in out

    exported = workdir / "faq-out.jsonl"
    code, out, _ = run(capsys, "faq", "export", str(exported))
    assert code == 0 and f"exported {len(shipped_entries())} entries" in out
    assert exported.read_text(encoding="utf-8") == SHIPPED_TEXT

    code, _, err = run(capsys, "faq", "import", str(workdir / "missing.jsonl"))
    assert code == 1 and "cannot read" in err


@pytest.mark.parametrize(
    "argv", [["ask", "--help"], ["faq", "import", "--help"], ["faq", "export", "--help"]]
)
def test_the_new_commands_have_help(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "usage: firecircle" in out


def test_one_sentence_of_an_entrys_own_question_is_that_entry():
    kb = KnowledgeBase(shipped_entries())
    found = kb.answer("灭火器多久换一次？")  # the first sentence of ext-expiry's question
    assert found.confident and found.entry.id == "ext-expiry"
