"""Template tags of the patient's weight shown beside a plan (docs/clinical-rules.md 3.1): the
plan's own latest weight, as of today."""

from django import template
from django.utils import timezone

from orders.dose_plans.engine_inputs import PlanWeight
from orders.dose_plans.engine_inputs import plan_weight as weight_of_plan
from orders.models import Patient

register = template.Library()


@register.simple_tag
def plan_weight(patient: Patient) -> PlanWeight | None:
    """The latest weight today's plans of ``patient`` are made from (read with their facts)."""
    return weight_of_plan(patient, as_of=timezone.localdate())
