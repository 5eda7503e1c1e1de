"""Admin for superusers (docs/clinical-rules.md 1): read, and correct chairs and sessions with the
history kept; never delete. The administration record is read-only here as everywhere
(docs/clinical-rules.md 6: entries are appended through the session page or the API, corrections are
new entries)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from infusions.administration.models import AdministrationEntry, SessionOverride
from infusions.booking.models import InfusionSession
from infusions.chairs.models import Chair, ChairOpeningHours
from infusions.feeds.models import CalendarFeedToken
from infusions.planning import admin as planning_admin  # noqa: F401  (registers the planner)
from ivig.admin_mixins import NoDeleteMixin, ReadOnlyMixin
from ivig.audit.reads import LogsAdminReadsMixin


class OpeningHoursInline(admin.TabularInline):
    model = ChairOpeningHours
    extra = 0


@admin.register(Chair)
class ChairAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("name", "location", "active")
    list_filter = ("active",)
    search_fields = ("name", "location")
    inlines = (OpeningHoursInline,)


class EntryInline(ReadOnlyMixin, admin.TabularInline):
    model = AdministrationEntry
    extra = 0
    fields = ("occurred_at", "kind", "rate_ml_per_h", "details", "recorded_by", "correction_of")
    readonly_fields = fields
    show_change_link = True


@admin.register(InfusionSession)
class InfusionSessionAdmin(LogsAdminReadsMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "chair", "planned_start", "planned_end", "status")
    list_filter = ("status", "chair")
    search_fields = ("order__patient__mrn", "order__patient__family_name")
    date_hierarchy = "planned_start"
    raw_id_fields = ("order",)
    readonly_fields = ("version", "created_by", "created_at")
    list_select_related = ("order__patient", "chair")
    inlines = (EntryInline,)


@admin.register(AdministrationEntry)
class AdministrationEntryAdmin(LogsAdminReadsMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "session", "kind", "occurred_at", "recorded_by", "recorded_at")
    list_filter = ("kind",)
    search_fields = ("session__order__patient__mrn", "lot_number")
    list_select_related = ("session__order__patient", "session__chair", "recorded_by")


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """Only the digest is stored; a superuser may revoke a feed by deleting nothing: the user
    rotates it on the calendar page."""

    list_display = ("user", "created_at", "last_used_at")
    exclude = ("token_sha256",)


@admin.register(SessionOverride)
class SessionOverrideAdmin(LogsAdminReadsMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    """Reasons given on one session (docs/clinical-rules.md 3.8.2): appended on the session page
    or the API, never edited."""

    list_display = ("session", "code", "session_day", "given_by", "given_at")
    list_filter = ("code",)
    list_select_related = ("session__order__patient", "session__chair", "given_by")
