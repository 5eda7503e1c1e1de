"""Coverage for templates that include ``orders/_coverage.html`` (the order and session
pages), so that those views need not compute it themselves."""

from typing import Any

from django import template

from orders.coverage import CycleCoverage, order_coverage, session_coverage_blocker

register = template.Library()


@register.simple_tag
def order_coverage_of(order: Any) -> list[CycleCoverage]:
    return order_coverage(order)


@register.simple_tag
def session_blocker(session: Any) -> str | None:
    return session_coverage_blocker(session)
