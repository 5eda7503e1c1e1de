"""Coverage for templates that include ``authorizations/_coverage.html`` (the order and session
pages), so that those views need not compute it themselves."""

from typing import Any

from django import template

from authorizations.coverage_rules import CycleCoverage, order_coverage

register = template.Library()


@register.simple_tag
def order_coverage_of(order: Any) -> list[CycleCoverage]:
    return order_coverage(order)


@register.simple_tag(takes_context=True)
def page_link(context: template.Context, param: str, number: int) -> str:
    """``?…`` of the current address with ``param`` set to ``number`` (one panel's page of the
    dashboard; the other panels' pages and the filter are kept)."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()
