"""The order list's filters, for the clinician's page and ``/api/v1/orders/`` alike."""

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as django_filters

from .models import Order, OrderStatus
from .selectors import orders_matching


class OrderFilter(django_filters.FilterSet):
    """By status (without one: every order's current version, superseded ones left out), by
    patient and by words matching the patient, product or indication."""

    status = django_filters.ChoiceFilter(
        choices=OrderStatus.choices, empty_label="Any current status"
    )
    patient = django_filters.NumberFilter(field_name="patient_id", label="Patient id")
    search = django_filters.CharFilter(
        method="search_words",
        label="Search (patient MRN or name, product, indication)",
    )

    class Meta:
        model = Order
        fields = ("status", "patient", "search")

    def filter_queryset(self, queryset: QuerySet[Order]) -> Any:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=OrderStatus.SUPERSEDED)
        return super().filter_queryset(queryset)

    def search_words(self, queryset: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        return orders_matching(queryset, value)
