"""What shaped each titration step, and the dosing policy's adjusted-weight rule, in words
(docs/clinical-rules.md 3.1, 3.4, rules v3): for the order page, the printed sheet and the
session page."""

from __future__ import annotations

from django import template

from formulary.models import ADJUSTED_WEIGHT_RULE_CHOICES
from ivig.engine.rates import LIMITED_BY_WORDS
from orders.dose_plans.per_request import policy_in_force

register = template.Library()


@register.filter
def limited_by_words(code: str | None) -> str:
    """ "label step", "at-risk maximum", "target rate", ...; a dash where unknown (a step read
    back from a stored plan, or a restart)."""
    if code is None:
        return "—"
    return LIMITED_BY_WORDS.get(code, "—")


@register.simple_tag
def adjusted_weight_rule_words() -> str:
    """The dosing policy's rule for who is dosed on adjusted body weight."""
    return dict(ADJUSTED_WEIGHT_RULE_CHOICES)[policy_in_force().adjusted_weight_rule]
