"""Admin for superusers: read authorizations with their history, correct them; never delete."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ivig.admin_mixins import NoDeleteMixin, ReadOnlyMixin
from ivig.audit.reads import LogsAdminReadsMixin

from .models import Authorization, AuthorizationDocument


class DocumentInline(ReadOnlyMixin, admin.TabularInline):
    model = AuthorizationDocument
    extra = 0
    fields = ("title", "reference", "added_by", "added_at")
    readonly_fields = fields


@admin.register(Authorization)
class AuthorizationAdmin(LogsAdminReadsMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("__str__", "order", "status", "approved_cycles", "valid_from", "valid_to")
    list_filter = ("status", "payer")
    search_fields = ("reference_number", "member_id", "patient__mrn", "patient__family_name")
    raw_id_fields = ("patient", "order", "renews")
    readonly_fields = ("version", "created_by", "created_at", "updated_at")
    list_select_related = ("order", "patient")
    inlines = (DocumentInline,)
