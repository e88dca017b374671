"""The figures as a readable Chinese table (`firecircle stats` without --json), and the names
the Word report uses for them."""

from __future__ import annotations

import unicodedata
from typing import Any

# (key, name, how to show it): "n" a count, "%" a rate, "min" minutes, "x" a mean of stars
HEADLINE = (
    ("received", "受理隐患与警情（件）", "n"),
    ("emergencies", "其中紧急警情（件）", "n"),
    ("assigned", "派单（件）", "n"),
    ("ack_in_time_rate", "按时响应率", "%"),
    ("ack_minutes_median", "响应时间中位数", "min"),
    ("ack_minutes_p90", "响应时间 P90", "min"),
    ("resolved", "处置（件）", "n"),
    ("resolve_minutes_median", "处置时间中位数", "min"),
    ("resolve_minutes_p90", "处置时间 P90", "min"),
    ("rectified_on_time_rate", "按期处置率", "%"),
    ("closed", "结案（件）", "n"),
    ("closed_rate", "结案率", "%"),
    ("reopen_rate", "返工率", "%"),
    ("return_visit_rate", "回访率", "%"),
    ("satisfaction_rate", "满意率", "%"),
    ("rating_mean", "平均评分（星）", "x"),
    ("questions", "咨询（件）", "n"),
    ("questions_answered_at_once_rate", "咨询即时解答率", "%"),
    ("staff_answer_minutes_median", "人工解答时间中位数", "min"),
    ("team_calls", "巡逻队出警（起）", "n"),
    ("team_arrived", "巡逻队到场（起）", "n"),
    ("team_arrived_in_ten_rate", "10分钟到场率", "%"),
    ("team_depart_minutes_median", "出发时间中位数", "min"),
    ("team_depart_minutes_p90", "出发时间 P90", "min"),
    ("team_arrive_minutes_median", "到场时间中位数", "min"),
    ("team_arrive_minutes_p90", "到场时间 P90", "min"),
)
KINDS = {
    "hazard": "隐患",
    "emergency": "紧急警情",
    "question": "咨询",
    "feedback": "意见建议",
    "out_of_scope": "其他",
}
# The chat's names for them (bot/locales/zh.toml [category]), which triage cannot read.
CATEGORIES = {
    "fire_lane": "消防车通道堵塞",
    "exit_blocked": "安全出口/疏散通道堵塞",
    "ebike": "电动车违规停放充电",
    "electrical": "电气线路隐患",
    "fire_equipment": "消防设施损坏缺失",
    "flammables": "违规存放易燃易爆物品",
    "open_flame": "违规用火",
    "occupancy": "违规住人/群租",
    "other": "其他消防隐患",
    "uncategorised": "未分类",
}


SOURCE_NAMES = {
    "resident": "居民上报",
    "patrol": "巡查上报",
    "campaign": "专项排查",
    "open311": "其他系统",
}


def shown(value: Any, how: str) -> str:
    if value is None:
        return "—"
    if how == "%":
        return f"{value * 100:.1f}%"
    if how == "min":
        return f"{value:.1f} 分钟"
    if how == "x":
        return f"{value:.2f}"
    return str(value)


def change(now: Any, before: Any, how: str) -> str:
    """本期 against 上期: a difference in counts, minutes or percentage points."""
    if now is None or before is None:
        return "—"
    if how == "%":
        return f"{(now - before) * 100:+.1f} 个百分点"
    if how == "min":
        return f"{now - before:+.1f} 分钟"
    if how == "x":
        return f"{now - before:+.2f}"
    return f"{now - before:+d}"


def category_name(key: str) -> str:
    return CATEGORIES.get(key, key)


def as_text(figures: dict[str, Any]) -> str:
    before = figures["previous"]
    period, previous = figures["period"], before["period"]
    place = " / ".join(v for v in figures["place"].values() if v) or "全辖区"
    lines = [
        f"消防隐患统计  {place}  {period['since']} 至 {period['until']}"
        f"（环比：{previous['since']} 至 {previous['until']}；{figures['timezone']}）",
        "",
        _row(("指标", "本期", "上期", "环比")),
    ]
    for key, name, how in HEADLINE:
        now, then = figures[key], before[key]
        lines.append(_row((name, shown(now, how), shown(then, how), change(now, then, how))))
    lines += ["", _row(("类型", "本期", "上期"))]
    for kind, name in KINDS.items():
        lines.append(_row((name, str(figures["by_kind"][kind]), str(before["by_kind"][kind]))))
    lines += ["", _row(("来源", "本期", "上期"))]
    for key, name in SOURCE_NAMES.items():
        now, then = figures["by_source"].get(key, 0), before["by_source"].get(key, 0)
        lines.append(_row((name, str(now), str(then))))
    lines += ["", _row(("隐患类别", "本期", "上期"))]
    for key, count in figures["by_category"].items():
        lines.append(_row((category_name(key), str(count), str(before["by_category"].get(key, 0)))))
    lines += ["", _row(("升级", "本期", "上期"))]
    for level, count in figures["escalations"].items():
        lines.append(_row((f"升至第 {level} 级", str(count), str(before["escalations"][level]))))
    lines += ["", _row(("排名", "网格", "得分", "受理", "按时响应", "按期处置", "满意率"))]
    for grid in figures["by_grid"]:
        lines.append(_grid_row(grid))
    lines += ["", _row(("排名", "承办人", "得分", "受理", "按时响应", "按期处置", "满意率"))]
    for worker in figures["by_worker"]:
        lines.append(_grid_row({**worker, "grid": ""}))
    return "\n".join(lines)


def _grid_row(grid: dict) -> str:
    return _row(
        (
            str(grid["rank"] or "—"),
            f"{grid['grid']} {grid['name']}".strip(),
            f"{grid['score']:.1f}" if grid["score"] is not None else "—",
            str(grid["received"]),
            shown(grid["ack_in_time_rate"], "%"),
            shown(grid["rectified_on_time_rate"], "%"),
            shown(grid["satisfaction_rate"], "%"),
        )
    )


WIDTHS = (22, 14, 14, 16, 10, 10, 10)


def _row(cells: tuple[str, ...]) -> str:
    if len(cells) == 7:  # the grid ranking: rank, cell, then narrow figures
        widths = (6, 30, 8, 6, 10, 10, 10)
    else:
        widths = WIDTHS
    return "".join(_pad(cell, width) for cell, width in zip(cells, widths, strict=False)).rstrip()


def _pad(text: str, width: int) -> str:
    """Left-aligned in `width` columns, a CJK character taking two."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)
