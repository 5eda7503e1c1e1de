"""Admin for superusers: read and correct with history kept; never delete (docs/clinical-rules.md
5).

Pharmacists work in the formulary pages, whose services check the rules; the admin is the
superuser's tool and records its changes in the same history.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from ivig.errors import PlainConstraintsMixin

from .forms import PlainRows
from .models import (
    DosingPolicy,
    LabelRateStep,
    PremedicationDrug,
    Product,
    ProductPrice,
    VialSize,
)


class PlainAdminForm(PlainConstraintsMixin, forms.ModelForm):
    """An admin row whose constraints answer in plain words, never by their names."""


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VialSizeInline(NoDeleteMixin, admin.TabularInline):
    form = PlainAdminForm
    formset = PlainRows
    model = VialSize
    extra = 0


class LabelRateStepInline(NoDeleteMixin, admin.TabularInline):
    form = PlainAdminForm
    formset = PlainRows
    model = LabelRateStep
    extra = 0


class ProductPriceInline(NoDeleteMixin, admin.TabularInline):
    form = PlainAdminForm
    formset = PlainRows
    model = ProductPrice
    extra = 0
    readonly_fields = ("created_by", "created_at")


class VersionedAdminForm(PlainConstraintsMixin, forms.ModelForm):
    """The admin's form for a record with a ``version`` (a product, the dosing policy): it
    carries the version the page was opened at and refuses to save over a newer one, as the
    formulary pages and the API do; otherwise a page opened before a pharmacist's change would
    silently put the old values back (docs/api.md, Errors: stale_version)."""

    opened_at_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_at_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not self.instance.pk:
            return cleaned
        # Locked until the admin's transaction ends, so no change slips in before the save.
        model = type(self.instance)
        current = model.objects.select_for_update().values_list("version", flat=True)
        now = current.get(pk=self.instance.pk)
        if cleaned.get("opened_at_version") != now:
            raise forms.ValidationError(
                f"This was changed by someone else (now version {now}) since this page was "
                f"opened (version {cleaned.get('opened_at_version')}). Reload it, check the "
                "changes and save again.",
                code="stale_version",
            )
        return cleaned


class VersionedAdminMixin:
    """Refuse a stale page (``VersionedAdminForm``) and count a change made here in
    ``version``, so a pharmacist's page opened before it is refused in turn."""

    form = VersionedAdminForm
    readonly_fields: tuple[str, ...] = ("version",)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        changed = form.has_changed() or any(formset.has_changed() for formset in formsets)
        if change and changed:
            instance = form.instance
            instance.version += 1
            type(instance).objects.filter(pk=instance.pk).update(version=instance.version)


@admin.register(Product)
class ProductAdmin(VersionedAdminMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("brand_name", "slug", "manufacturer", "concentration_pct", "low_iga", "active")
    list_filter = ("active", "low_iga", "contains_sucrose", "form")
    search_fields = ("brand_name", "generic_name", "manufacturer", "slug")
    inlines = (VialSizeInline, LabelRateStepInline, ProductPriceInline)


@admin.register(DosingPolicy)
class DosingPolicyAdmin(VersionedAdminMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "rounding_tolerance_pct", "max_rate_ml_per_h", "updated_at")


@admin.register(PremedicationDrug)
class PremedicationDrugAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    """The premedication catalogue (docs/clinical-rules.md 3.5); pharmacists use its page."""

    form = PlainAdminForm
    list_display = ("name", "slug", "adult_dose", "dose_unit", "route", "active")
    list_filter = ("active", "route")
    search_fields = ("name", "slug")
