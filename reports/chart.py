"""The course chart as SVG: a pure function of plain data (docs/clinical-rules.md 10.4).

No Django, no database: ``course_chart_svg`` draws each series in its own band on one shared
time axis (each band with its own scale from 0), with a band of markers below (co-therapy,
reactions). Every point carries ``data-series``, ``data-date`` and ``data-value`` and every
marker ``data-marker`` and ``data-date``, so the table printed under the chart
(``chart_rows``) can be checked against it point for point.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from html import escape

WIDTH = 760
LEFT = 150
RIGHT = 20
BAND = 110
BAND_GAP = 18
MARKER_BAND = 34
AXIS = 26


@dataclass(frozen=True)
class Point:
    day: date
    value: Decimal
    note: str = ""


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    unit: str
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class Marker:
    day: date
    kind: str  # "cotherapy", "reaction" or another hook's kind
    label: str


@dataclass(frozen=True)
class CourseChart:
    series: list[Series]
    markers: list[Marker] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.markers and not any(s.points for s in self.series)


@dataclass(frozen=True)
class Row:
    day: date
    what: str
    value: Decimal | None
    unit: str
    note: str
    key: str

    @property
    def value_text(self) -> str:
        """The value exactly as the chart's ``data-value`` writes it."""
        return "" if self.value is None else _fmt(self.value)


def chart_rows(chart: CourseChart) -> list[Row]:
    """The chart's data as table rows, by date then as drawn (series first, then markers)."""
    rows = [
        Row(point.day, s.title, point.value, s.unit, point.note, s.key)
        for s in chart.series
        for point in s.points
    ]
    rows += [Row(m.day, m.kind, None, "", m.label, m.kind) for m in chart.markers]
    order = {row.key: index for index, row in enumerate(rows)}
    return sorted(rows, key=lambda row: (row.day, order[row.key]))


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def _nice_ceiling(value: Decimal) -> Decimal:
    """The axis top: 1, 2, 2.5 or 5 x a power of ten, at least ``value`` (1 for nothing)."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(1)
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if power * step >= value:
            return power * step
    return power * 10  # pragma: no cover


def _days(chart: CourseChart) -> tuple[date, date]:
    days = [p.day for s in chart.series for p in s.points] + [m.day for m in chart.markers]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - timedelta(days=14), last + timedelta(days=14)
    return first, last


def course_chart_svg(chart: CourseChart, width: int = WIDTH) -> str:
    """The SVG of ``chart`` ('' when it has no data). Deterministic: same data, same text."""
    if chart.is_empty:
        return ""
    first, last = _days(chart)
    span = (last - first).days
    plot = width - LEFT - RIGHT

    def x(day: date) -> float:
        return round(LEFT + plot * (day - first).days / span, 1)

    height = len(chart.series) * (BAND + BAND_GAP) + MARKER_BAND + AXIS
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="course-chart-title" class="course-chart">',
        '<title id="course-chart-title">Course chart: '
        + escape(", ".join(s.title for s in chart.series))
        + ", co-therapy and reactions over time</title>",
    ]
    top = 0
    for s in chart.series:
        ceiling = _nice_ceiling(max((p.value for p in s.points), default=Decimal(0)))

        def y(value: Decimal, top: int = top, ceiling: Decimal = ceiling) -> float:
            return round(top + BAND - float(value / ceiling) * (BAND - 10), 1)

        out.append(f'<g data-band="{escape(s.key)}">')
        out.append(
            f'<line x1="{LEFT}" y1="{top + BAND}" x2="{width - RIGHT}" y2="{top + BAND}" '
            'stroke="#999" />'
        )
        out.append(f'<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{top + BAND}" stroke="#999" />')
        out.append(
            f'<text x="{LEFT - 8}" y="{top + 14}" text-anchor="end" font-size="12">'
            f"{escape(s.title)}</text>"
        )
        out.append(
            f'<text x="{LEFT - 8}" y="{top + 30}" text-anchor="end" font-size="11" fill="#555">'
            f"0 to {escape(_fmt(ceiling))} {escape(s.unit)}</text>"
        )
        points = sorted(s.points, key=lambda p: p.day)
        if len(points) > 1:
            path = " ".join(f"{x(p.day)},{y(p.value)}" for p in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="#1f5f99" />')
        for p in points:
            out.append(
                f'<circle cx="{x(p.day)}" cy="{y(p.value)}" r="4" fill="#1f5f99" '
                f'data-series="{escape(s.key)}" data-date="{p.day.isoformat()}" '
                f'data-value="{escape(_fmt(p.value))}"><title>{p.day.isoformat()}: '
                f"{escape(_fmt(p.value))} {escape(s.unit)}</title></circle>"
            )
        out.append("</g>")
        top += BAND + BAND_GAP
    out.append('<g data-band="markers">')
    # Two short lines: one would run past the chart's left edge.
    out.append(
        f'<text x="{LEFT - 8}" y="{top + 12}" text-anchor="end" font-size="12">Co-therapy ◆</text>'
        f'<text x="{LEFT - 8}" y="{top + 28}" text-anchor="end" font-size="12">Reactions ▲</text>'
    )
    for m in sorted(chart.markers, key=lambda m: (m.day, m.kind)):
        cx, cy = x(m.day), top + 16
        shape = (
            f'<polygon points="{cx},{cy - 7} {cx + 6},{cy + 5} {cx - 6},{cy + 5}" fill="#b03a2e"'
            if m.kind == "reaction"
            else f'<polygon points="{cx},{cy - 7} {cx + 6},{cy} {cx},{cy + 7} {cx - 6},{cy}" '
            'fill="#6c3483"'
        )
        out.append(
            f'{shape} data-marker="{escape(m.kind)}" data-date="{m.day.isoformat()}">'
            f"<title>{m.day.isoformat()}: {escape(m.label)}</title></polygon>"
        )
    out.append("</g>")
    axis_y = top + MARKER_BAND
    out.append(
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{width - RIGHT}" y2="{axis_y}" stroke="#333" />'
    )
    for index in range(5):
        day = first + timedelta(days=round(span * index / 4))
        anchor = "start" if index == 0 else "end" if index == 4 else "middle"
        out.append(
            f'<text x="{x(day)}" y="{axis_y + 16}" text-anchor="{anchor}" font-size="11">'
            f"{day.isoformat()}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
