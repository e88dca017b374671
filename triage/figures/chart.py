"""The report's chart: counts by category as horizontal bars, a PNG, with a CJK font found on
this machine (Noto Sans CJK or WenQuanYi; CI installs fonts-noto-cjk and fonts-wqy-microhei).
Without one the characters would be drawn as boxes, so it refuses instead."""

from __future__ import annotations

import io

from triage.figures.period import FiguresError

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)


def cjk_font() -> str:
    """The name of a font matplotlib can draw Chinese with."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if not any(name in known for name in CJK_FONTS):
        # Installed after matplotlib built its font cache: look at the system's fonts again
        for path in font_manager.findSystemFonts():
            if any(word in path.lower() for word in ("cjk", "wqy", "sourcehan", "simhei")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        known = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in known:
            return name
    raise FiguresError(
        "no Chinese font for the chart: install fonts-noto-cjk or fonts-wqy-microhei "
        "(apt-get install -y fonts-noto-cjk fonts-wqy-microhei)"
    )


def category_bars(counts: dict[str, int], title: str = "隐患分类统计（件）") -> bytes:
    """A PNG of horizontal bars, most first from the top, each with its count."""
    import matplotlib

    matplotlib.use("Agg")  # no display: draw to memory
    from matplotlib.figure import Figure  # without pyplot's global state
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    names, values = list(counts)[::-1], list(counts.values())[::-1]
    figure = Figure(figsize=(6.4, 0.45 * len(names) + 1.2), dpi=150)
    axes = figure.add_subplot()
    bars = axes.barh(names, values, color="#c0392b")
    axes.bar_label(bars, padding=3, fontfamily=font, fontsize=9)
    axes.set_title(title, fontfamily=font, fontsize=12)
    for label in axes.get_yticklabels():
        label.set_fontfamily(font)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max(values) * 1.15 or 1)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
