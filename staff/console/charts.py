"""Small server-rendered SVG charts for the console (no script, no CDN, readable when printed).

Each function returns an SVG string with a ``<title>`` per mark, so hovering a bar shows its
number and a screen reader can read it.
"""
from __future__ import annotations

from html import escape

PALETTE = {"wechat": "#2e9d4f", "sms": "#c8102e", "email": "#3a6ea5"}


def stacked_bars(days: list[str], series: dict[str, list[int]], names: dict[str, str], *, height: int = 180) -> str:
    """One bar per day, stacked by channel."""
    totals = [sum(vals[i] for vals in series.values()) for i in range(len(days))]
    top = max(totals + [1])
    width, left, bottom = max(320, 14 * len(days) + 50), 40, 24
    bar_w = (width - left - 10) / max(len(days), 1)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg">']
    plot_h = height - bottom - 10
    for frac in (0, 0.5, 1):
        y = 10 + plot_h * (1 - frac)
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{round(top * frac)}</text>')
    for i, day in enumerate(days):
        x = left + i * bar_w + 1
        y = 10 + plot_h
        for key, vals in series.items():
            h = plot_h * vals[i] / top
            if h <= 0:
                continue
            y -= h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                       f'fill="{PALETTE.get(key, "#888")}"><title>{escape(day)} {escape(names.get(key, key))}：'
                       f'{vals[i]}</title></rect>')
        if i % max(1, len(days) // 6) == 0 or i == len(days) - 1:
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
                       f'{escape(day[5:])}</text>')
    out.append("</svg>")
    legend = " ".join(f'<span class="legend"><i style="background:{PALETTE.get(k, "#888")}"></i>{escape(names.get(k, k))}'
                      f'</span>' for k in series)
    return "".join(out) + f'<div class="muted">{legend}</div>'


def horizontal_bars(items: list[tuple[str, int]], *, color: str = "#c8102e") -> str:
    """Labelled horizontal bars (a funnel, a histogram), each with its number and share of the first."""
    top = max([n for _l, n in items] + [1])
    first = items[0][1] if items and items[0][1] else 0
    row_h, label_w, width = 28, 90, 520
    out = [f'<svg class="chart" viewBox="0 0 {width} {row_h * len(items) + 6}" role="img" '
           'xmlns="http://www.w3.org/2000/svg">']
    for i, (label, n) in enumerate(items):
        y = 4 + i * row_h
        w = (width - label_w - 90) * n / top
        share = f"（{100 * n / first:.0f}%）" if first and i else ""
        out.append(f'<text x="{label_w - 6}" y="{y + 17}" font-size="12" text-anchor="end">{escape(label)}</text>'
                   f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 10}" fill="{color}">'
                   f'<title>{escape(label)}：{n}</title></rect>'
                   f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" font-size="12">{n}{share}</text>')
    out.append("</svg>")
    return "".join(out)
