"""Chairs and their opening hours under ``/api/v1/chairs/`` (docs/clinical-rules.md 6): every role
reads, nurses add and change. Parse, call a service, return."""

from typing import Any

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from infusions import policies
from infusions.chairs.models import Chair, ChairOpeningHours
from infusions.chairs.services import Hours, chair_save
from ivig.accounts.permissions import api_read_write_policies, signed_in_user
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.validators import no_control_characters

ChairWrites = api_read_write_policies(
    read=policies.can_read_schedule, write=policies.can_edit_chairs
)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A rule refused it."),
    403: OpenApiResponse(description="Only nurses change the schedule and the record."),
    409: OpenApiResponse(ErrorSerializer, description="Taken or changed by someone else first."),
}


class OpeningHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChairOpeningHours
        fields = ("weekday", "opens_at", "closes_at")


class ChairSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    opening_hours = OpeningHoursSerializer(
        many=True, required=False, help_text="Replaces the chair's hours when given."
    )

    class Meta:
        model = Chair
        fields = ("id", "name", "location", "active", "opening_hours")
        read_only_fields = ("id",)
        # Uniqueness is the service's to check, with a clear message.
        extra_kwargs: dict[str, Any] = {"name": {"validators": [no_control_characters]}}


@extend_schema_view(
    create=extend_schema(responses={201: ChairSerializer, **ERRORS}),
    update=extend_schema(responses={200: ChairSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: ChairSerializer, **ERRORS}),
)
class ChairViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Chairs with their opening hours. Every role reads; nurses add and change chairs (a chair
    with sessions is never deleted: set ``active`` false)."""

    queryset = Chair.objects.prefetch_related("opening_hours").order_by("name")
    serializer_class = ChairSerializer
    permission_classes = [ChairWrites]
    pagination_class = None
    filterset_fields = ["active"]

    def _save(self, chair: Chair | None, request: Request, partial: bool) -> Response:
        serializer = self.get_serializer(chair, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        hours = data.get("opening_hours")
        saved = chair_save(
            chair,
            by=signed_in_user(request),
            name=data.get("name", chair.name if chair else ""),
            location=data.get("location", chair.location if chair else ""),
            active=data.get("active", chair.active if chair else True),
            opening_hours=None if hours is None else [Hours(**row) for row in hours],
        )
        fresh = self.get_queryset().get(pk=saved.pk)
        return Response(
            ChairSerializer(fresh).data,
            status=status.HTTP_201_CREATED if chair is None else status.HTTP_200_OK,
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(None, request, partial=False)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._save(self.get_object(), request, partial=kwargs.get("partial", False))
