"""Charts as inline SVG, built in Python (no JavaScript, no CDN, readable without a network)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#2f6f9f", "#c2571a", "#4d8b31", "#8a4f9e", "#b8860b", "#3b7d7d")


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    unit: str = "",
    digits: int = 0,
    width: int = 560,
    simulated: bool = False,
) -> Markup:
    """A horizontal bar chart; a missing value draws no bar and reads "no data".

    Returns SVG markup (safe to embed) with a ``<title>`` for screen readers.
    """
    bar_h, gap, left, right, top = 22, 8, 170, 90, 30
    height = top + len(labels) * (bar_h + gap) + 10
    known = [v for v in values if v is not None]
    top_value = max(known) if known and max(known) > 0 else 1.0
    span = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="8" y="18" class="chart-title">{escape(title)}'
        + (' <tspan class="sim">(simulated)</tspan>' if simulated else "")
        + "</text>",
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" class="chart-label">'
            f"{escape(label)}</text>"
        )
        if value is None:
            parts.append(f'<text x="{left}" y="{y + bar_h * 0.7:.1f}" class="chart-value">no data</text>')
            continue
        w = max(span * value / top_value, 1.0) if value > 0 else 0.0
        colour = PALETTE[i % len(PALETTE)]
        faded = ' fill-opacity="0.55"' if simulated else ""
        parts.append(
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" data-value="{value}"{faded}/>'
        )
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" class="chart-value">'
            f"{value:,.{digits}f}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
