"""The inbox (docs/clinical-rules.md 8): every role reads and marks its own notifications, nobody
else's."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ivig.accounts.permissions import policy_required, signed_in_user
from ivig.audit.reads import logs_patient_reads

from . import services
from .models import Notification
from .policies import can_read_own_notifications
from .services import note_subjects_read

PER_PAGE = 50


@logs_patient_reads()
@policy_required(can_read_own_notifications)
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(
        services.inbox(signed_in_user(request), unread_only=unread_only), PER_PAGE
    ).get_page(request.GET.get("page"))
    note_subjects_read(request, page.object_list)  # their titles name patients
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@require_POST
@policy_required(can_read_own_notifications)
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of your own notifications read; then open what it is about (``next=open``)."""
    notification = get_object_or_404(Notification, pk=pk, recipient=signed_in_user(request))
    services.notification_mark_read(notification)
    target = notification.url
    if (
        request.POST.get("next") == "open"
        and target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
@policy_required(can_read_own_notifications)
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(signed_in_user(request))
    messages.success(request, f"{count} notification(s) marked read.")
    return redirect("notifications:inbox")
