"""Horizontal bar charts as inline SVG, hand-written: no script, font or stylesheet from anywhere.

A chart is groups of bars; each group is scaled to its own largest value, so amounts in different
currencies are never drawn (or added) on one scale. The only ``<rect>`` elements are the bars: one per
data point. Every text from the data is escaped; long labels are cut, with the full text in a tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

BAR_AREA = Decimal(360)  # the length of the largest bar of a group
STEP = Decimal("0.1")  # bar lengths are written with one decimal
ROW = 22
BAR_HEIGHT = 16
HEADING = 26
CHAR = 8  # a generous width of one character at font-size 12
PAD = 8
MAX_LABEL = 28
BAR_FILL = "#4e79a7"


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    shown: str  # the value as the chart prints it


@dataclass(frozen=True)
class Group:
    heading: str  # "" for a chart of one group
    bars: Sequence[Bar]


def label(text: str) -> str:
    """Printable and at most MAX_LABEL characters (newlines and other controls become spaces)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def length(value: Decimal, largest: Decimal) -> Decimal:
    """The bar's length: proportional to the group's largest value; nothing for zero or less."""
    if largest <= 0 or value <= 0:
        return Decimal(0)
    return (value / largest * BAR_AREA).quantize(STEP)


def _bar(bar: Bar, y: int, x: int, largest: Decimal) -> str:
    w = length(bar.value, largest)
    name, shown = escape(label(bar.label)), escape(bar.shown)
    return (
        f"<g><title>{escape(bar.label)}: {shown}</title>"
        f'<text x="{x - 6}" y="{y + 15}" text-anchor="end">{name}</text>'
        f'<rect x="{x}" y="{y + 3}" width="{w}" height="{BAR_HEIGHT}" fill="{BAR_FILL}"'
        f' data-value="{escape(format(bar.value, "f"))}"/>'
        f'<text x="{x + w + 4}" y="{y + 15}">{shown}</text></g>'
    )


def bar_chart(chart: str, title: str, groups: Sequence[Group], empty: str) -> str:
    """An ``<svg data-chart=chart role="img">``, or a ``<p data-chart-empty=chart>`` saying ``empty``
    when no group has a bar."""
    bars = [b for g in groups for b in g.bars]
    if not bars:
        return f'<p class="no-data" data-chart-empty="{escape(chart)}">{escape(empty)}</p>'
    x = PAD + CHAR * max(len(label(b.label)) for b in bars)
    width = x + int(BAR_AREA) + PAD + CHAR * max(len(b.shown) for b in bars)
    parts: list[str] = []
    y = 0
    for group in groups:
        parts.append(f'<g data-group="{escape(group.heading)}">')
        if group.heading:
            parts.append(f'<text x="0" y="{y + 18}" font-weight="bold">{escape(group.heading)}</text>')
            y += HEADING
        if not group.bars:
            parts.append(f'<text x="{x}" y="{y + 15}">{escape(empty)}</text>')
            y += ROW
        else:
            largest = max(b.value for b in group.bars)
            bottom = y + ROW * len(group.bars)
            parts.append(f'<line x1="{x}" y1="{y}" x2="{x}" y2="{bottom}" stroke="#333"/>')
            for bar in group.bars:
                parts.append(_bar(bar, y, x, largest))
                y += ROW
        parts.append("</g>")
    height = y + PAD
    t = escape(title)
    return (
        f'<svg data-chart="{escape(chart)}" role="img" aria-label="{t}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" font-family="system-ui, sans-serif" font-size="12">'
        f"<title>{t}</title>{''.join(parts)}</svg>"
    )
