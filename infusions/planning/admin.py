"""Admin for superusers (docs/planner.md): nurses' shifts with their breaks and the unit's
ratios, the history kept; shifts are removed on the planner's page, not here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ivig.admin_mixins import NoDeleteMixin

from .models import NurseShift, ShiftBreak, StaffingPolicy


class ShiftBreakInline(admin.TabularInline):
    model = ShiftBreak
    extra = 0


@admin.register(NurseShift)
class NurseShiftAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("nurse", "day", "starts_at", "ends_at")
    list_filter = ("day",)
    date_hierarchy = "day"
    list_select_related = ("nurse",)
    inlines = (ShiftBreakInline,)


@admin.register(StaffingPolicy)
class StaffingPolicyAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "patients_per_nurse", "titrations_per_nurse")
