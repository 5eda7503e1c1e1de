"""The course chart panel (docs/clinical-rules.md 10.4), shown on the orders app's patient page
through this tag: the reports app reads orders and infusions, a layer above both."""

from typing import Any

from django import template
from django.utils.safestring import mark_safe

from orders.models import Patient
from reports.chart import chart_rows, course_chart_svg
from reports.course_chart import patient_course_chart

register = template.Library()


@register.inclusion_tag("reports/_course_chart.html")
def course_chart(patient: Patient) -> dict[str, Any]:
    chart = patient_course_chart(patient)
    # The SVG is built by ``course_chart_svg``, which escapes every text it writes.
    return {"svg": mark_safe(course_chart_svg(chart)), "rows": chart_rows(chart)}
