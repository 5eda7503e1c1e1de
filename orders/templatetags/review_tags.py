"""Template tags of the orders app's response reviews (docs/clinical-rules.md 10): the course's
latest review, shown where an authorization is renewed."""

from django import template

from orders.models import Order
from orders.reviews.models import ResponseReview
from orders.reviews.services import latest_review as latest

register = template.Library()


@register.simple_tag
def latest_review(order: Order) -> ResponseReview | None:
    return latest(order)
