"""Coverage for templates that include ``authorizations/_coverage.html`` (the order and session
pages), so that those views need not compute it themselves."""

from typing import Any

from django import template

from authorizations.coverage import CycleCoverage, order_coverage

register = template.Library()


@register.simple_tag
def order_coverage_of(order: Any) -> list[CycleCoverage]:
    return order_coverage(order)
