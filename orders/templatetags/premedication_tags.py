"""An order's premedication as lines, and what is kept as written (docs/clinical-rules.md 3.5):
for the order page, the printed sheet and the session page."""

from django import template

from orders.models import Order
from orders.premedication.services import PremedicationShown, premedication_shown

register = template.Library()


@register.simple_tag
def premedication_of(order: Order) -> PremedicationShown:
    return premedication_shown(order)
