"""The course chart's SVG is a pure function of plain data (docs/clinical-rules.md 10.4)."""

import re
from datetime import date
from decimal import Decimal

from reports.chart import CourseChart, Marker, Point, Series, chart_rows, course_chart_svg


def chart() -> CourseChart:
    return CourseChart(
        [
            Series(
                "score-pdai",
                "Disease score (PDAI)",
                "points",
                [Point(date(2027, 1, 4), Decimal("40")), Point(date(2027, 3, 1), Decimal("12.5"))],
            ),
            Series("prednisone", "Prednisone", "mg/day", [Point(date(2027, 1, 4), Decimal("20"))]),
            Series("ivig", "IVIg per cycle", "g/kg", []),
        ],
        [
            Marker(date(2027, 1, 4), "cotherapy", "Co-therapy: mycophenolate <b>"),
            Marker(date(2027, 2, 1), "reaction", "Reaction (mild): headache"),
        ],
    )


def test_points_and_markers_carry_their_data():
    svg = course_chart_svg(chart())
    points = re.findall(r'data-series="([^"]+)" data-date="([^"]+)" data-value="([^"]+)"', svg)
    assert points == [
        ("score-pdai", "2027-01-04", "40"),
        ("score-pdai", "2027-03-01", "12.5"),
        ("prednisone", "2027-01-04", "20"),
    ]
    markers = re.findall(r'data-marker="([^"]+)" data-date="([^"]+)"', svg)
    assert markers == [("cotherapy", "2027-01-04"), ("reaction", "2027-02-01")]


def test_the_table_holds_the_same_data_as_the_chart():
    rows = chart_rows(chart())
    assert [(r.key, r.day.isoformat(), r.value_text) for r in rows if r.value is not None] == [
        ("score-pdai", "2027-01-04", "40"),
        ("prednisone", "2027-01-04", "20"),
        ("score-pdai", "2027-03-01", "12.5"),
    ]
    assert [r.key for r in rows if r.value is None] == ["cotherapy", "reaction"]


def test_a_point_is_placed_on_the_shared_time_axis_and_its_band_scale():
    svg = course_chart_svg(chart(), width=760)
    # 2027-01-04 is the first day: x = left margin; 40 on a 0-50 scale in the first band.
    assert '<circle cx="150.0" cy="' in svg
    first = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*data-value="40"', svg)
    assert first and first.groups() == ("150.0", "30.0")
    last = re.search(r'<circle cx="([\d.]+)"[^>]*data-date="2027-03-01"', svg)
    assert last and last.group(1) == "740.0"


def test_text_is_escaped_and_the_output_is_stable():
    svg = course_chart_svg(chart())
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert svg == course_chart_svg(chart())


def test_no_data_no_chart():
    assert course_chart_svg(CourseChart([Series("ivig", "IVIg", "g/kg", [])])) == ""
