"""`firecircle report`: a seeded November (and October before it) written as Word and as HTML,
each section there with the numbers the history gives, the chart an image; and every argument
it cannot use refused with one line and exit code 1 (argparse's own: 2)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import docx
import pytest

from firecircle.settings import load_settings
from storage.engine import make_engine, make_session_factory, transaction
from storage.grid import grid_cell_by_code
from storage.models import Report, ReportEvent
from tests.harness import run

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECTIONS = ("总体情况", "分类统计", "网格排名", "时效", "整改与回访", "典型案例", "存在问题")


def local(month: int, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=SHANGHAI)


class History:
    """A report and its events, as the lifecycle would have written them."""

    def __init__(self, cell: str, at: datetime, kind: str = "hazard", category: str | None = None):
        self.cell, self.at, self.kind, self.category = cell, at, kind, category
        self.status, self.events = "new", []
        self.add("created", 0, "new")

    def add(self, action: str, minutes: float, to: str | None = None, **detail) -> History:
        at = self.at + timedelta(minutes=minutes)
        self.events.append((action, at, self.status if to else None, to, detail))
        self.status = to or self.status
        return self


def november() -> dict[str, History]:
    """R1 in time and fixed (5 stars); R2 escalated twice, acknowledged late, resolved after
    its deadline, reopened (2 stars); R3 past its deadline and never resolved; R4 an
    emergency in the last minutes of November; R5 at December's first midnight (not
    counted). October: R0, in time and fixed (5 stars)."""
    return {
        "R0": History("DH-01-01", local(10, 15, 9), category="ebike")
        .add("assigned", 0, "assigned")
        .add("acknowledged", 2, "acknowledged")
        .add("resolved", 60, "resolved")
        .add("confirmed_fixed", 90, "closed")
        .add("rated", 91, stars=5),
        "R1": History("DH-01-01", local(11, 3, 10), category="ebike")
        .add("assigned", 0, "assigned")
        .add("acknowledged", 5, "acknowledged")
        .add("resolved", 600, "resolved")
        .add("confirmed_fixed", 630, "closed")
        .add("rated", 631, stars=5),
        "R2": History("DH-01-01", local(11, 5, 9), category="fire_lane")
        .add("assigned", 0, "assigned")
        .add("escalated", 10, level=1)
        .add("escalated", 20, level=2)
        .add("acknowledged", 25, "acknowledged")
        .add("rectify_overdue", 25 + 24 * 60)
        .add("resolved", 3 * 24 * 60, "resolved")
        .add("rated", 3 * 24 * 60 + 20, stars=2)
        .add("reopened", 3 * 24 * 60 + 30, "assigned"),
        "R3": History("DH-01-02", local(11, 10, 8), category="ebike")
        .add("assigned", 0, "assigned")
        .add("acknowledged", 3, "acknowledged")
        .add("rectify_overdue", 24 * 60),
        "R4": History("DH-01-02", local(11, 30, 23, 30), kind="emergency")
        .add("assigned", 0, "assigned")
        .add("acknowledged", 2, "acknowledged"),
        "R5": History("DH-01-02", local(12, 1, 0), category="ebike").add("assigned", 0, "assigned"),
    }


async def _seed(histories: dict[str, History]) -> dict[str, str]:
    engine = make_engine(load_settings().database_url)
    references = {}
    try:
        sessions = make_session_factory(engine)
        async with transaction(sessions) as session:
            for name, h in histories.items():
                cell = await grid_cell_by_code(session=session, code=h.cell)
                report = Report(
                    text=f"{name} 的描述",
                    kind=h.kind,
                    category=h.category,
                    severity="high" if h.kind == "hazard" else None,
                    community=cell.community,
                    grid_id=cell.id,
                    status=h.status,
                    created_at=h.at,
                    updated_at=h.at,
                )
                session.add(report)
                await session.flush()
                report.reference = references[name] = f"FC-{report.id:06d}"
                for action, at, before, after, detail in h.events:
                    session.add(
                        ReportEvent(
                            report_id=report.id,
                            at=at,
                            actor="system",
                            action=action,
                            from_status=before,
                            to_status=after,
                            detail=detail,
                        )
                    )
    finally:
        await engine.dispose()
    return references


@pytest.fixture
def seeded(district):
    return asyncio.run(_seed(november()))


def docx_text(path) -> tuple[str, list[list[list[str]]], int]:
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in document.tables]
    return text, tables, len(document.inline_shapes)


def check_contents(text: str, refs: dict[str, str]) -> None:
    for n, section in enumerate(SECTIONS):
        assert f"{'一二三四五六七'[n]}、{section}" in text
    assert "全辖区2026年11月消防安全隐患处置情况报告" in text
    assert "（环比：上月 2026-10-01 至 2026-10-31）" in text
    # R1–R4 (R5 is December's), against October's R0
    assert "本月共受理消防隐患与紧急警情 4 件（上月 1 件，环比 +3），其中紧急警情 1 件" in text
    assert "处置 2 件，结案 1 件，结案率 25.0%；按时响应率 75.0%，按期处置率 50.0%" in text
    assert "隐患类别中以“电动车违规停放充电”最多，共 2 件。" in text
    assert "排名前三：幸福社区第二网格" in text  # R3, R4 acknowledged in time
    assert "超时未响应逐级升级共 2 次（上月 0 次）：升至第 1 级 1 次，升至第 2 级 1 次。" in text
    assert "返工率 50.0%；回访率 100.0%，收到评价 2 条，满意率 50.0%，平均评分 3.50 星。" in text
    assert (
        f"超期未整改时间最长：{refs['R3']}，幸福社区第二网格（DH-01-02），电动车违规停放充电"
        in text
    )
    assert "2026-11-11 08:00 超过整改期限，至期末已超期 19 天" in text
    assert f"升级最多：{refs['R2']}，幸福社区第一网格（DH-01-01），消防车通道堵塞" in text
    assert "升级 2 次，最高至第 2 级" in text
    assert "满意率由上月的 100.0% 降至 50.0%，下降 50.0 个百分点。" in text
    assert "按期处置率由上月的 100.0% 降至 50.0%，下降 50.0 个百分点。" in text
    assert "超时未响应升级由上月的 0 次增至 2 次。" in text


def test_a_month_as_word(seeded, capsys, tmp_path):
    out = tmp_path / "十一月.docx"
    code, said, err = run(capsys, "report", "--month", "2026-11", "--out", str(out))
    assert (code, err) == (0, "") and str(out) in said
    text, tables, images = docx_text(out)
    check_contents(text, seeded)
    assert images == 1  # the chart of 分类统计
    overall, categories, ranking = tables[:3]
    assert overall[:2] == [["指标", "本月", "上月", "环比"], ["受理（件）", "4", "1", "+3"]]
    assert ["满意率", "50.0%", "100.0%", "-50.0 个百分点"] in overall
    assert categories[1] == ["电动车违规停放充电", "2", "1", "50.0%"]
    assert len(ranking) == 1 + 9  # every cell of the district, ranked or not
    assert ranking[1][:4] == ["1", "幸福社区第二网格（DH-01-02）", "60.0", "2"]
    assert ranking[2][:2] == ["2", "幸福社区第一网格（DH-01-01）"]


def test_a_quarter_of_one_community_as_html(seeded, capsys, tmp_path):
    out = tmp_path / "q4.html"
    code, _, _ = run(
        capsys, "report", "--quarter", "2026Q4", "--community", "幸福社区", "--out", str(out)
    )
    page = out.read_text("utf-8")
    assert code == 0 and page.startswith("<!DOCTYPE html>")
    assert "幸福社区2026年第四季度消防安全隐患处置情况报告" in page
    assert "统计时段：2026-10-01 至 2026-12-31（环比：上季度 2026-07-01 至 2026-09-30）" in page
    # R0–R5: the whole quarter, December's R5 included
    assert "本季度共受理消防隐患与紧急警情 6 件（上季度 0 件，环比 +6）" in page
    assert (
        len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,[A-Za-z0-9+/=]+">', page)) == 1
    )
    for section in SECTIONS:
        assert f"、{section}</h2>" in page


def test_a_month_without_reports(district, capsys, tmp_path):
    out = tmp_path / "empty.docx"
    code, _, _ = run(capsys, "report", "--month", "2025-02", "--out", str(out))
    text, _, images = docx_text(out)
    assert code == 0 and images == 0
    assert "本月共受理消防隐患与紧急警情 0 件" in text and "本月未受理隐患。" in text
    assert "均无可评价的隐患，不作排名" in text and "各项指标均未变差" in text


def test_an_existing_file_is_kept_unless_forced(district, capsys, tmp_path):  # noqa: F811
    out = tmp_path / "十一月.html"
    out.write_text("上个月写好的版本", "utf-8")
    code, said, err = run(capsys, "report", "--month", "2026-11", "--out", str(out))
    assert code == 1 and said == "" and err.count("\n") == 1
    assert "the file exists; add --force to overwrite it" in err and str(out) in err
    assert out.read_text("utf-8") == "上个月写好的版本"
    code, said, err = run(capsys, "report", "--month", "2026-11", "--out", str(out), "--force")
    assert (code, err) == (0, "") and str(out) in said
    assert "消防" in out.read_text("utf-8")


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--month", "2026-13", "--out", "r.docx"], "--month '2026-13' is not a month"),
        (["--month", "2026/11", "--out", "r.docx"], "--month '2026/11' is not a month"),
        (["--quarter", "2026Q5", "--out", "r.docx"], "--quarter '2026Q5' is not a quarter"),
        (["--month", "0000-01", "--out", "r.docx"], "--month '0000-01' is not a month"),
        (["--month", "9999-12", "--out", "r.docx"], "--month '9999-12' is not a month"),
        (["--quarter", "0001Q1", "--out", "r.html"], "--quarter '0001Q1' is not a quarter"),
        (["--month", "2026-11", "--community", "无名社区", "--out", "r.docx"], "no community"),
        (["--month", "2026-11", "--street", "无名街道", "--out", "r.docx"], "no street '无名街道'"),
        (["--month", "2026-11", "--out", "r.pdf"], "write a .docx or a .html file"),
        (["--month", "2026-11", "--out", "no/such/folder/r.docx"], "there is no folder"),
        (["--month", "2026-11", "--out", "."], "write a .docx or a .html file"),
    ],
)
def test_report_refuses_with_a_reason(district, capsys, more, message):
    code, out, err = run(capsys, "report", *more)
    assert code == 1 and out == "" and message in err and err.count("\n") == 1


def test_report_refuses_an_unwritable_file(district, capsys, tmp_path):
    folder = tmp_path / "locked.docx"
    folder.mkdir()
    code, _, err = run(capsys, "report", "--month", "2026-11", "--out", str(folder))
    assert code == 1 and "is a folder" in err


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--month", "2026-11", "--quarter", "2026Q4", "--out", "r.docx"], "not allowed with"),
        (["--out", "r.docx"], "one of the arguments --month --quarter is required"),
        (["--month", "2026-11", "--community", "幸福社区", "--street", "东湖街道"], "not allowed"),
        (["--month", "2026-11"], "the following arguments are required: --out"),
    ],
)
def test_report_arguments_that_do_not_go_together(district, capsys, more, message):
    code, _, err = run(capsys, "report", *more)
    assert code == 2 and message in err
