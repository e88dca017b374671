"""The report written out: Word (python-docx) to paste into the office's own, or one HTML
file (the chart inside it) to open anywhere. What it says is monthly.Contents."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from triage.figures.chart import category_bars
from triage.figures.monthly import Contents, Section
from triage.figures.period import FiguresError

FORMATS = (".docx", ".html")
BODY_FONT = "宋体"  # the body font of Chinese official documents; Word substitutes if absent


def check_target(path: Path, *, overwrite: bool = False) -> str:
    """The format `path` asks for; refuses another extension, a place it cannot write, or a
    file already there unless `overwrite`."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise FiguresError(f"--out {path}: write a .docx or a .html file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FiguresError(f"--out {path}: there is no folder {folder}")
    if path.is_dir():
        raise FiguresError(f"--out {path}: is a folder")
    if path.exists() and not overwrite:
        raise FiguresError(f"--out {path}: the file exists; add --force to overwrite it")
    return suffix


def write(contents: Contents, path: Path, *, overwrite: bool = False) -> None:
    suffix = check_target(path, overwrite=overwrite)
    charts = {
        id(section): category_bars(section.chart) for section in contents.sections if section.chart
    }
    data = _docx(contents, charts) if suffix == ".docx" else _html(contents, charts).encode()
    try:
        with path.open("wb" if overwrite else "xb") as file:  # x: one made meanwhile stays
            file.write(data)
    except FileExistsError:
        raise FiguresError(f"--out {path}: the file exists; add --force to overwrite it") from None
    except OSError as exc:
        raise FiguresError(f"cannot write {path}: {exc.strerror}") from None


def _docx(contents: Contents, charts: dict[int, bytes]) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    title = document.add_heading(contents.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(contents.subtitle).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section in contents.sections:
        document.add_heading(section.title, level=1)
        for text in section.paragraphs:
            document.add_paragraph(text)
        if section.chart:
            document.add_picture(io.BytesIO(charts[id(section)]), width=Cm(15))
        if section.table is not None:
            table = document.add_table(rows=1, cols=len(section.table.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, section.table.header, strict=True):
                cell.text = text
                cell.paragraphs[0].runs[0].bold = True
            for row in section.table.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.7; color: #222; }
h1 { text-align: center; font-size: 1.5em; } .subtitle { text-align: center; color: #555; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0; } td, th { border: 1px solid #999;
padding: .2em .6em; } th { background: #f2f2f2; } img { max-width: 100%; }
"""


def _html(contents: Contents, charts: dict[int, bytes]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(contents.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(contents.title)}</h1>",
        f'<p class="subtitle">{e(contents.subtitle)}</p>',
    ]
    for section in contents.sections:
        parts.append(_html_section(section, charts.get(id(section))))
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_section(section: Section, chart: bytes | None) -> str:
    e = html.escape
    parts = [f"<h2>{e(section.title)}</h2>"]
    parts += [f"<p>{e(text)}</p>" for text in section.paragraphs]
    if chart is not None:
        image = base64.b64encode(chart).decode()
        parts.append(f'<p><img alt="{e(section.title)}图" src="data:image/png;base64,{image}"></p>')
    if section.table is not None:
        head = "".join(f"<th>{e(h)}</th>" for h in section.table.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
            for row in section.table.rows
        )
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "\n".join(parts)
