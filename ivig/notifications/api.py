"""``/api/v1/notifications/``: your own notifications only; mark one or all read."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy
from ivig.audit.reads import LogsPatientReadsMixin

from . import services
from .models import Notification
from .policies import can_read_own_notifications
from .services import note_subjects_read


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = (
            "id",
            "kind",
            "subject_type",
            "subject_id",
            "due_date",
            "title",
            "body",
            "url",
            "created_at",
            "read_at",
            "is_read",
        )
        read_only_fields = fields


@extend_schema(
    parameters=[OpenApiParameter("unread", bool, description="Only unread notifications.")]
)
class NotificationViewSet(
    LogsPatientReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Your notifications, newest first (another user's are 404)."""

    serializer_class = NotificationSerializer
    permission_classes = [api_policy(can_read_own_notifications)]
    filterset_fields = ["kind"]

    def _user(self) -> User:
        assert isinstance(self.request.user, User)
        return self.request.user

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread = self.request.query_params.get("unread") in ("1", "true")
        return services.inbox(self._user(), unread_only=unread)

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        note_subjects_read(self.request._request, page if page is not None else queryset)
        return page

    def get_object(self) -> Notification:
        notification = super().get_object()
        if self.action == "retrieve":
            note_subjects_read(self.request._request, [notification])
        return notification

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: Any = None) -> Response:
        """Mark this notification read."""
        notification = services.notification_mark_read(self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("MarkedRead", {"marked_read": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all your notifications read."""
        return Response({"marked_read": services.notifications_mark_all_read(self._user())})
