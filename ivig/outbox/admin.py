from django.contrib import admin

from ivig.admin_mixins import ReadOnlyMixin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "task_name", "created_at", "sent_at", "attempts")
    list_filter = ("task_name",)
    search_fields = ("task_name",)
