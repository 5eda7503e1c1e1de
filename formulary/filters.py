"""Product search and filters, one FilterSet for the product list page and the API."""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget

from .models import SUGARS, Product


class AnyYesNo(BooleanWidget):
    """``true``/``false`` as the API takes them, shown as Any / Yes / No."""

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]


def sugar_free_q() -> Q:
    """No sucrose, glucose, maltose or sorbitol among the stabilizers."""
    condition = Q(contains_sucrose=False)
    for sugar in sorted(SUGARS):
        # stabilizers is a JSON list of codes: match the quoted code, portable across databases.
        condition &= ~Q(stabilizers__icontains=f'"{sugar}"')
    return condition


class ProductFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        label="Search",
        help_text="Brand, generic name, manufacturer or slug",
    )
    concentration_pct = filters.NumberFilter(label="Concentration (%)")
    low_iga = filters.BooleanFilter(label="Low IgA", widget=AnyYesNo)
    sugar_free = filters.BooleanFilter(
        method="filter_sugar_free",
        label="Sugar-free",
        widget=AnyYesNo,
        help_text="No sucrose, glucose, maltose or sorbitol",
    )
    active = filters.BooleanFilter(label="Active", widget=AnyYesNo)

    class Meta:
        model = Product
        fields = ["search", "concentration_pct", "low_iga", "sugar_free", "active"]

    def filter_search(
        self, queryset: QuerySet[Product], name: str, value: str
    ) -> QuerySet[Product]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(brand_name__icontains=value)
            | Q(generic_name__icontains=value)
            | Q(manufacturer__icontains=value)
            | Q(slug__icontains=value)
        )

    def filter_sugar_free(
        self, queryset: QuerySet[Product], name: str, value: bool | None
    ) -> QuerySet[Product]:
        if value is None:
            return queryset
        return queryset.filter(sugar_free_q()) if value else queryset.exclude(sugar_free_q())
