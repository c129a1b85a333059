"""Charts as server-rendered inline SVG: no script, no inline style (the CSP forbids both).

Colours come from CSS classes in ``static/andon.css``; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">'
    )
    return Markup(head + "".join(body) + "</svg>")


def bars(counts: Mapping[str, int], *, label: str, width: int = 420) -> Markup:
    """Horizontal bars, one per key (CSS class ``bar-<key>``)."""
    row = 22
    height = max(row * len(counts), row)
    top = max(counts.values(), default=0) or 1
    body = []
    for i, (key, n) in enumerate(counts.items()):
        y = i * row
        w = int((width - 170) * n / top)
        body.append(
            f'<text x="0" y="{y + 15}" class="chart-label">{escape(key)}</text>'
            f'<rect x="120" y="{y + 3}" width="{w}" height="16" class="bar bar-{escape(key)}"/>'
            f'<text x="{124 + w}" y="{y + 15}" class="chart-value">{n}</text>'
        )
    return _svg(width, height, body, label)


def trend(points: Sequence[Mapping[str, Any]], *, label: str, width: int = 640) -> Markup:
    """A line of ``open`` over the points (oldest first), with the first and last dates."""
    height, pad = 160, 30
    if not points:
        return _svg(
            width, 40, ['<text x="0" y="20" class="chart-label">no scans yet</text>'], label
        )
    top = max(int(p["open"]) for p in points) or 1
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    coords = [
        (pad + i * step, height - pad - (height - 2 * pad) * int(p["open"]) / top)
        for i, p in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    body = [
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'class="axis"/>',
        f'<text x="0" y="{pad - 8}" class="chart-value">{top}</text>',
        f'<polyline points="{line}" class="trend-line"/>',
    ]
    for (x, y), p in zip(coords, points, strict=True):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="trend-dot">'
            f"<title>{escape(str(p['at'])[:16])}: {int(p['open'])} open</title></circle>"
        )
    first, last = str(points[0]["at"])[:10], str(points[-1]["at"])[:10]
    body.append(f'<text x="{pad}" y="{height - 8}" class="chart-label">{escape(first)}</text>')
    body.append(
        f'<text x="{width - pad}" y="{height - 8}" class="chart-label end">{escape(last)}</text>'
    )
    return _svg(width, height, body, label)
