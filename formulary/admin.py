"""Admin for superusers: read and correct with history kept; never delete (docs/clinical-rules.md
5).

Pharmacists work in the formulary pages, whose services check the rules; the admin is the
superuser's tool and records its changes in the same history.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import DosingPolicy, LabelRateStep, Product, ProductPrice, VialSize


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VialSizeInline(NoDeleteMixin, admin.TabularInline):
    model = VialSize
    extra = 0


class LabelRateStepInline(NoDeleteMixin, admin.TabularInline):
    model = LabelRateStep
    extra = 0


class ProductPriceInline(NoDeleteMixin, admin.TabularInline):
    model = ProductPrice
    extra = 0
    readonly_fields = ("created_by", "created_at")


@admin.register(Product)
class ProductAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("brand_name", "slug", "manufacturer", "concentration_pct", "low_iga", "active")
    list_filter = ("active", "low_iga", "contains_sucrose", "form")
    search_fields = ("brand_name", "generic_name", "manufacturer", "slug")
    inlines = (VialSizeInline, LabelRateStepInline, ProductPriceInline)


@admin.register(DosingPolicy)
class DosingPolicyAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "rounding_tolerance_pct", "max_rate_ml_per_h", "updated_at")
    readonly_fields = ("version",)
