"""Admin for superusers (docs/clinical-rules.md 1): read everything with its history; correct
patients and indications; never delete. Orders and their overrides are read-only here:
a signed or verified order is never edited in place (docs/clinical-rules.md 4), so changes go
through the order pages, which make a new version to sign and verify again."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ivig.admin_mixins import NoDeleteMixin, ReadOnlyMixin
from ivig.audit.reads import LogsAdminReadsMixin

from .models import (
    Indication,
    Order,
    OrderOverride,
    Patient,
    PatientWeight,
)


@admin.register(Indication)
class IndicationAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "category", "icd10_code", "default_total_g_per_kg")
    list_filter = ("category",)
    search_fields = ("name", "slug", "icd10_code")


class PatientWeightInline(ReadOnlyMixin, admin.TabularInline):
    model = PatientWeight
    extra = 0
    fields = ("measured_on", "weight_kg", "recorded_by", "recorded_at")
    readonly_fields = fields


@admin.register(Patient)
class PatientAdmin(LogsAdminReadsMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("mrn", "family_name", "given_name", "date_of_birth", "iga_status")
    search_fields = ("mrn", "family_name", "given_name")
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = (PatientWeightInline,)


class OverrideInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderOverride
    extra = 0
    fields = ("code", "reason", "overridden_by", "acknowledged_by", "acknowledged_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(LogsAdminReadsMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("number", "patient", "indication", "product", "status", "start_date")
    list_filter = ("status", "product")
    search_fields = ("patient__mrn", "patient__family_name")
    list_select_related = ("patient", "indication", "product")
    inlines = (OverrideInline,)


@admin.register(OrderOverride)
class OrderOverrideAdmin(LogsAdminReadsMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("order", "code", "overridden_by", "acknowledged_by")
    list_filter = ("code",)
    list_select_related = ("order", "overridden_by", "acknowledged_by")
