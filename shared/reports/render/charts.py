"""Line charts and heat maps as inline SVG, hand-written like ``svg.bar_chart``: no script, font or
stylesheet from anywhere, every text from the data escaped.

A line chart has a titled y axis with round ticks from 0 (or from the lowest value when it is below 0),
a titled x axis whose labels are thinned to fit, a legend, and one polyline per series with a dot per
point (each dot's tooltip says the series, the label and the value). A heat map is a grid of cells
shaded by their share (0..1), each printing it in percent, with titled axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from html import escape

from shared.reports.render.svg import CHAR, label

WIDTH = 1120  # the whole chart: fits a 1280 px window with the page's margins
HEIGHT = 360
LEFT = 88  # room for the y ticks and the y axis title
RIGHT = 24
TOP = 16
BOTTOM = 64  # room for the x labels and the x axis title
LEGEND_ROW = 20
COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7")
TICKS = 5
CELL_W = 56
CELL_H = 24
HEAT_LEFT = 110


def nice_step(span: Decimal) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) that cuts ``span`` into about TICKS parts."""
    if span <= 0:
        return Decimal(1)
    raw = span / TICKS
    power = Decimal(10) ** raw.adjusted()
    for factor in (1, 2, 5, 10):
        step = power * factor
        if step >= raw:
            return step
    return power * 10  # pragma: no cover (10 x power >= raw always)


def _shown(value: Decimal) -> str:
    """A tick or value as printed: grouped thousands, no trailing zeros beyond the cents."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def line_chart(
    chart: str,
    title: str,
    x_label: str,
    y_label: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | None]]],
    empty: str,
) -> str:
    """An ``<svg data-chart=chart role="img">`` with one ``<polyline data-series=label>`` per series (a
    ``<p data-chart-empty>`` saying ``empty`` when there is no value at all)."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not values or not x_labels:
        return f'<p class="no-data" data-chart-empty="{escape(chart)}">{escape(empty)}</p>'
    low, high = min(*values, Decimal(0)), max(*values, Decimal(0))
    step = nice_step(high - low)
    if all(v == v.to_integral_value() for v in values):
        step = max(step, Decimal(1))  # counts: whole ticks only
    bottom_v = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    top_v = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    if top_v == bottom_v:
        top_v = bottom_v + step
    legend_rows = len(series)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    n = len(x_labels)

    def x_of(i: int) -> Decimal:
        return Decimal(LEFT) + (Decimal(plot_w) * i / (n - 1) if n > 1 else Decimal(plot_w) / 2)

    def y_of(v: Decimal) -> Decimal:
        return Decimal(TOP) + Decimal(plot_h) * (top_v - v) / (top_v - bottom_v)

    def fmt(d: Decimal) -> str:
        return format(d.quantize(Decimal("0.1")), "f")

    parts: list[str] = []
    # y grid and ticks
    tick = bottom_v
    while tick <= top_v:
        y = fmt(y_of(tick))
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end">{escape(_shown(tick))}</text>')
        tick += step
    zero_y = fmt(y_of(Decimal(0)))
    parts.append(f'<line x1="{LEFT}" y1="{zero_y}" x2="{WIDTH - RIGHT}" y2="{zero_y}" stroke="#333"/>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>')
    # x labels, thinned so that they never overlap
    # Every few labels, so that none overlaps: the first and last lean inwards (a whole label's width on
    # one side), so labels are 1.5 widths apart; the last is always shown, the one before it dropped if near.
    widest = max(len(label(text)) for text in x_labels) * CHAR + 8
    every = max(1, -(-3 * widest * (n - 1) // (2 * plot_w))) if n > 1 else 1
    for i, text in enumerate(x_labels):
        if i != n - 1 and (i % every or n - 1 - i < every):
            continue
        # The first and last labels lean inwards, so that neither is cut at the chart's edge.
        anchor = "start" if n > 1 and i == 0 else "end" if n > 1 and i == n - 1 else "middle"
        parts.append(
            f'<text x="{fmt(x_of(i))}" y="{TOP + plot_h + 18}" text-anchor="{anchor}" data-x-label="">'
            f"{escape(label(text))}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w // 2}" y="{TOP + plot_h + 44}" text-anchor="middle" '
        f'font-weight="bold" data-axis="x">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text transform="translate(16 {TOP + plot_h // 2}) rotate(-90)" text-anchor="middle" '
        f'font-weight="bold" data-axis="y">{escape(y_label)}</text>'
    )
    # the lines
    for k, (name, vs) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        runs: list[list[str]] = [[]]
        dots: list[str] = []
        for i, v in enumerate(vs[:n]):
            if v is None:
                runs.append([])
                continue
            x, y = fmt(x_of(i)), fmt(y_of(v))
            runs[-1].append(f"{x},{y}")
            dots.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}" data-value="{escape(format(v, "f"))}">'
                f"<title>{escape(name)}, {escape(x_labels[i])}: {escape(_shown(v))}</title></circle>"
            )
        lines = "".join(
            f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>'
            for run in runs
            if run
        )
        parts.append(f'<g data-series="{escape(name)}">{lines}{"".join(dots)}</g>')
    parts += _legend([name for name, _ in series], HEIGHT)
    height = HEIGHT + legend_rows * LEGEND_ROW + 8
    t = escape(title)
    return (
        f'<svg data-chart="{escape(chart)}" role="img" aria-label="{t}" viewBox="0 0 {WIDTH} {height}"'
        f' width="{WIDTH}" height="{height}" font-family="system-ui, sans-serif" font-size="12">'
        f"<title>{t}</title>{''.join(parts)}</svg>"
    )


def _legend(names: Sequence[str], top: int) -> list[str]:
    """A coloured square and the name of each series, one per row from ``top`` (under the x axis title)."""
    parts = []
    for k, name in enumerate(names):
        colour = COLOURS[k % len(COLOURS)]
        row_y = top + k * LEGEND_ROW
        parts.append(
            f'<g data-legend="{escape(name)}"><rect x="{LEFT}" y="{row_y}" width="14" height="14" '
            f'fill="{colour}"/><text x="{LEFT + 20}" y="{row_y + 12}">{escape(label(name))}</text></g>'
        )
    return parts


def _shade(share: Decimal) -> str:
    """White (0) to the bars' blue (1), as an rgb() colour."""
    s = max(Decimal(0), min(Decimal(1), share))
    r = int(255 - (255 - 0x4E) * s)
    g = int(255 - (255 - 0x79) * s)
    b = int(255 - (255 - 0xA7) * s)
    return f"rgb({r},{g},{b})"


def heat_map(
    chart: str,
    title: str,
    row_label: str,
    column_label: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[Decimal | None]],
    empty: str,
) -> str:
    """An ``<svg data-chart=chart role="img">`` with one ``<rect data-share>`` per cell that has a value,
    printing the share in percent (white text on dark cells)."""
    if not rows or not columns:
        return f'<p class="no-data" data-chart-empty="{escape(chart)}">{escape(empty)}</p>'
    top = 44  # the column axis title and the column labels
    # Wide enough for the grid, the column axis title and the 0-100 % scale, whichever is widest.
    width = HEAT_LEFT + max(CELL_W * len(columns), CHAR * len(column_label), 260) + RIGHT
    height = top + CELL_H * len(rows) + 36
    parts = [
        f'<text x="{HEAT_LEFT}" y="14" font-weight="bold" data-axis="x">{escape(column_label)}</text>',
        f'<text x="4" y="{top - 6}" font-weight="bold" data-axis="y">{escape(row_label)}</text>',
    ]
    for j, name in enumerate(columns):
        parts.append(
            f'<text x="{HEAT_LEFT + CELL_W * j + CELL_W // 2}" y="{top - 6}" text-anchor="middle">'
            f"{escape(label(name))}</text>"
        )
    for i, name in enumerate(rows):
        y = top + CELL_H * i
        parts.append(f'<text x="4" y="{y + 16}">{escape(label(name))}</text>')
        for j, share in enumerate(values[i][: len(columns)] if i < len(values) else ()):
            if share is None:
                continue
            x = HEAT_LEFT + CELL_W * j
            percent = f"{(share * 100).quantize(Decimal('1'))}%"
            ink = "#fff" if share > Decimal("0.5") else "#222"
            parts.append(
                f"<g><title>{escape(name)}, {escape(columns[j])}: {percent}</title>"
                f'<rect x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}" fill="{_shade(share)}" '
                f'stroke="#ccc" data-share="{escape(format(share, "f"))}"/>'
                f'<text x="{x + CELL_W // 2 - 1}" y="{y + 16}" text-anchor="middle" fill="{ink}">'
                f"{percent}</text></g>"
            )
    # the scale: 0 % to 100 %
    y = top + CELL_H * len(rows) + 12
    for k in range(0, 11):
        parts.append(
            f'<rect x="{HEAT_LEFT + k * 20}" y="{y}" width="20" height="10" '
            f'fill="{_shade(Decimal(k) / 10)}" stroke="#ccc"/>'
        )
    parts.append(f'<text x="{HEAT_LEFT - 6}" y="{y + 9}" text-anchor="end">0%</text>')
    parts.append(f'<text x="{HEAT_LEFT + 226}" y="{y + 9}" data-legend="scale">100%</text>')
    t = escape(title)
    return (
        f'<svg data-chart="{escape(chart)}" role="img" aria-label="{t}" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" font-family="system-ui, sans-serif" font-size="12">'
        f"<title>{t}</title>{''.join(parts)}</svg>"
    )
