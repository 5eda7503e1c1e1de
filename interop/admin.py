from django.contrib import admin

from interop.models import FhirPush
from ivig.admin_mixins import ReadOnlyMixin


@admin.register(FhirPush)
class FhirPushAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The pushes to the EHR and their failures (docs/fhir.md, "Out"), read-only."""

    list_display = (
        "id",
        "resource_type",
        "record_id",
        "event",
        "status",
        "attempts",
        "http_status",
        "last_error",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "event", "resource_type")
    search_fields = ("identifier", "last_error")
