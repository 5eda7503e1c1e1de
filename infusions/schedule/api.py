"""Infusion sessions under ``/api/v1/infusion-sessions/`` (docs/clinical-rules.md 6, 9): proposing
and booking a cycle, moving, cancelling, confirming and starting a session, its reasons and its
plan at clock times. Parse, call a service or selector, return.

Every role reads; nurses book, confirm, move, cancel, start and record (docs/clinical-rules.md 1).
Entries are only ever added (no update or delete). Refusals: 400 with ``code`` and ``detail``, 409
when someone else got there first (slot taken, stale version, cycle already booked), 403 for other
roles.
"""

from datetime import datetime, time, timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from infusions import policies
from infusions.administration import policies as session_reason_policies
from infusions.administration import services as administration
from infusions.administration import session_reasons
from infusions.administration.api import EntrySerializer
from infusions.administration.models import SESSION_REASON_MAX_CHARS, SessionOverride
from infusions.booking import services as booking
from infusions.booking.models import InfusionSession, SessionStatus
from infusions.booking.services import Slot
from infusions.chairs.models import Chair
from infusions.schedule import selectors
from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy, api_read_write_policies, signed_in_user
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import BoundedIntegersMixin, RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record
from ivig.dates import BOOKING, VIEW, BoundedDate, BoundedDateFilter, BoundedDateTime
from ivig.numbers import SMALLINT_MAX
from orders.models import Order

NurseWrites = api_read_write_policies(read=policies.can_read_schedule, write=policies.can_book)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A rule refused it."),
    403: OpenApiResponse(description="Only nurses change the schedule and the record."),
    409: OpenApiResponse(ErrorSerializer, description="Taken or changed by someone else first."),
}


class SessionSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    patient = serializers.IntegerField(source="order.patient_id", read_only=True)
    patient_mrn = serializers.CharField(source="order.patient.mrn", read_only=True)
    patient_name = serializers.CharField(source="order.patient.full_name", read_only=True)
    product = serializers.CharField(source="order.product.slug", read_only=True)
    chair_name = serializers.CharField(source="chair.name", read_only=True)
    status_label = serializers.CharField(
        read_only=True, help_text="The status in words: 'Completed: partial dose' when so."
    )
    partial_dose = serializers.BooleanField(
        read_only=True,
        help_text="Completed with less than 90 % of the day's volume or grams.",
    )

    class Meta:
        model = InfusionSession
        fields = (
            "id",
            "order",
            "order_number",
            "patient",
            "patient_mrn",
            "patient_name",
            "product",
            "cycle_number",
            "day_number",
            "chair",
            "chair_name",
            "planned_start",
            "planned_end",
            "status",
            "status_label",
            "partial_dose",
            "status_reason",
            "version",
        )
        read_only_fields = fields


def _midnight(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class SessionFilter(django_filters.FilterSet):
    date_from = BoundedDateFilter(
        method="filter_date_from", label="Sessions starting on or after this (local) day."
    )
    date_to = BoundedDateFilter(
        method="filter_date_to", label="Sessions starting on or before this (local) day."
    )
    status = django_filters.MultipleChoiceFilter(choices=SessionStatus.choices)
    patient = django_filters.NumberFilter(field_name="order__patient_id")

    class Meta:
        model = InfusionSession
        fields = ["chair", "order", "status", "patient", "cycle_number"]

    def filter_date_from(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(planned_start__gte=_midnight(value))

    def filter_date_to(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(planned_start__lt=_midnight(value + timedelta(days=1)))


class ProposalRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField[Order](queryset=Order.objects.all())
    cycle_number = serializers.IntegerField(min_value=1, max_value=SMALLINT_MAX)
    requested_date = BoundedDate(window=BOOKING, required=False, allow_null=True)
    chair = serializers.PrimaryKeyRelatedField[Chair](
        queryset=Chair.objects.prefetch_related("opening_hours"), required=False, allow_null=True
    )


class SlotSerializer(BoundedIntegersMixin, serializers.Serializer):
    day_number = serializers.IntegerField(min_value=1, max_value=SMALLINT_MAX)
    chair = serializers.PrimaryKeyRelatedField[Chair](queryset=Chair.objects.all())
    start = BoundedDateTime(window=BOOKING)
    end = serializers.DateTimeField(read_only=True)


class ProposalSerializer(serializers.Serializer):
    slots = SlotSerializer(many=True)
    why = serializers.CharField(help_text="Why these slots were chosen (docs/planner.md).")
    over_ratio = serializers.BooleanField(
        help_text="The slots break the nurses' ratio: no free slot within the horizon keeps it."
    )


class BookingSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    order = serializers.PrimaryKeyRelatedField[Order](queryset=Order.objects.all())
    cycle_number = serializers.IntegerField(min_value=1, max_value=SMALLINT_MAX)
    slots = SlotSerializer(many=True)
    tentative = serializers.BooleanField(
        default=False,
        help_text="Booked without an authorization: the session cannot start until one covers it.",
    )


class MoveSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    chair = serializers.PrimaryKeyRelatedField[Chair](queryset=Chair.objects.all())
    start = BoundedDateTime(window=BOOKING)
    reason = serializers.CharField()
    version = serializers.IntegerField(min_value=1, help_text="The version you read.")


class CancelSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField()
    version = serializers.IntegerField(min_value=1, help_text="The version you read.")


class ConfirmSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you read.")


class StartSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    occurred_at = BoundedDateTime(window=VIEW, required=False, help_text="Default: now.")
    rate_ml_per_h = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=SMALLINT_MAX,
        help_text="Default: the plan's first rate.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Why the infusion starts more than an hour from its booking (needed then; "
        "kept in the record and the session's history).",
    )


class SessionReasonRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    code = serializers.CharField(
        max_length=50, help_text="The session-only override finding answered (CREATININE_DUE)."
    )
    reason = serializers.CharField(
        max_length=SESSION_REASON_MAX_CHARS, help_text="Why to go ahead, for this session only."
    )


class SessionReasonSerializer(serializers.ModelSerializer):
    given_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

    class Meta:
        model = SessionOverride
        fields = (
            "id",
            "session",
            "code",
            "session_day",
            "message",
            "reason",
            "given_by",
            "given_at",
        )
        read_only_fields = fields


class ClockStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    rate_ml_per_h = serializers.IntegerField()
    minutes = serializers.DecimalField(max_digits=6, decimal_places=1)
    volume_ml = serializers.DecimalField(max_digits=6, decimal_places=1)


class PlanFindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class GivenReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    reason = serializers.CharField()
    given_by = serializers.CharField()
    given_at = serializers.DateTimeField()


class GivenSerializer(serializers.Serializer):
    """How much of the day was given and what remains (the session page's numbers)."""

    volume_ml = serializers.DecimalField(max_digits=7, decimal_places=1)
    grams = serializers.DecimalField(max_digits=7, decimal_places=2)
    day_volume_ml = serializers.DecimalField(max_digits=7, decimal_places=1)
    day_dose_g = serializers.DecimalField(max_digits=7, decimal_places=2)
    remaining_volume_ml = serializers.DecimalField(max_digits=7, decimal_places=1)
    remaining_g = serializers.DecimalField(max_digits=7, decimal_places=2)
    recorded = serializers.BooleanField(
        help_text="From the completion entry; false: worked out from the recorded rates and times."
    )
    completed = serializers.BooleanField()
    partial_dose = serializers.BooleanField(
        source="partial",
        help_text="Completed with less than 90 % of the day's volume or grams.",
    )
    summary = serializers.CharField(help_text="In words, as the session page writes it.")


class SessionPlanSerializer(serializers.Serializer):
    """The session's plan at clock times (docs/clinical-rules.md 3.5), from the engine."""

    premedication_at = serializers.DateTimeField()
    infusion_start = serializers.DateTimeField()
    steps = ClockStepSerializer(many=True)
    vital_checks = serializers.ListField(child=serializers.DateTimeField())
    infusion_end = serializers.DateTimeField()
    chair_until = serializers.DateTimeField()
    daily_volume_ml = serializers.IntegerField()
    daily_dose_g = serializers.DecimalField(max_digits=6, decimal_places=2)
    watch_list = serializers.ListField(child=serializers.CharField())
    given = GivenSerializer(help_text="How much of the day was given so far and what remains.")
    findings = PlanFindingSerializer(
        many=True, help_text="The order's findings as of now (docs/clinical-rules.md 3.9)."
    )
    new_finding_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Codes among findings new since signing."
    )
    signed_findings = PlanFindingSerializer(many=True, help_text="The findings at signing.")
    session_reasons = GivenReasonSerializer(
        many=True,
        help_text="Clinicians' reasons given on this session for its session-only findings: "
        "those findings no longer refuse its start.",
    )
    start_blockers = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why the session cannot start now, naming the finding and who must act.",
    )


@extend_schema_view(
    list=extend_schema(description="Sessions by day range, chair, status, patient or order."),
)
class SessionViewSet(
    LogsPatientReadsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Infusion sessions (docs/clinical-rules.md 6): every role reads (each retrieve is logged);
    nurses book a cycle, confirm tentative sessions, move, cancel and start sessions."""

    serializer_class = SessionSerializer
    permission_classes = [NurseWrites]
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[InfusionSession]:
        sessions = InfusionSession.objects.select_related(
            "order__patient", "order__product", "chair"
        ).order_by("planned_start", "chair__name", "pk")
        if self.action == "list":  # rows show no plan: leave the orders' JSON in the database
            return sessions.defer("order__plan_at_signing", "order__findings_at_signing")
        # One session: its plan reads the order's indication too (issue 21).
        return sessions.select_related("order__indication")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self.get_object()
        access_record(request._request, session)
        return Response(SessionSerializer(session).data)

    @extend_schema(request=ProposalRequestSerializer, responses={200: ProposalSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def proposal(self, request: Request) -> Response:
        """The proposed slots for a cycle (saves nothing)."""
        serializer = ProposalRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        proposal = booking.booking_proposal(
            data["order"], data["cycle_number"], data.get("requested_date"), data.get("chair")
        )
        return Response(ProposalSerializer(proposal).data)

    @extend_schema(
        request=BookingSerializer, responses={201: SessionSerializer(many=True), **ERRORS}
    )
    @action(detail=False, methods=["post"])
    def book(self, request: Request) -> Response:
        """Book a cycle: one slot per day (take them from ``proposal`` or choose)."""
        serializer = BookingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        slots = [Slot(row["day_number"], row["chair"], row["start"]) for row in data["slots"]]
        sessions = booking.booking_confirm(
            data["order"],
            data["cycle_number"],
            slots,
            signed_in_user(request),
            tentative=data["tentative"],
        )
        fresh = self.get_queryset().filter(pk__in=[session.pk for session in sessions])
        return Response(SessionSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MoveSerializer, responses={200: SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = booking.session_move(
            self.get_object(), by=signed_in_user(request), **serializer.validated_data
        )
        return Response(SessionSerializer(session).data)

    @extend_schema(request=CancelSerializer, responses={200: SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = booking.session_cancel(
            self.get_object(), by=signed_in_user(request), **serializer.validated_data
        )
        return Response(SessionSerializer(session).data)

    @extend_schema(request=ConfirmSerializer, responses={200: SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Confirm a tentative session: it becomes booked (starting still needs coverage)."""
        serializer = ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = booking.session_confirm(
            self.get_object(), by=signed_in_user(request), **serializer.validated_data
        )
        return Response(SessionSerializer(session).data)

    @extend_schema(request=StartSerializer, responses={201: EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Start the infusion (the record's ``started`` entry)."""
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = administration.session_start(
            self.get_object(),
            by=signed_in_user(request),
            at=data.get("occurred_at"),
            rate_ml_per_h=data.get("rate_ml_per_h"),
            reason=data.get("reason", ""),
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SessionReasonRequestSerializer,
        responses={
            201: SessionReasonSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Refused: a blank or too long reason, a session already started, or "
                "a code the session's plan does not raise now as a session-only override "
                "(a stop never).",
            ),
            403: OpenApiResponse(description="Only clinicians give a reason."),
            409: OpenApiResponse(
                ErrorSerializer, description="A reason for that code is already given."
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[api_policy(session_reason_policies.can_give_session_reason)],
    )
    def reason(self, request: Request, pk: str | None = None) -> Response:
        """A clinician's reason to go ahead with a session-only override finding
        (CREATININE_DUE) on this session only: its start is no longer refused for it; the
        next session is judged again."""
        # docs/clinical-rules.md 3.8.2, 3.9
        serializer = SessionReasonRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = session_reasons.session_override_record(
            self.get_object(), by=signed_in_user(request), **serializer.validated_data
        )
        return Response(SessionReasonSerializer(given).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SessionPlanSerializer, 400: ERRORS[400]})
    @action(detail=True, methods=["get"])
    def plan(self, request: Request, pk: str | None = None) -> Response:
        """The plan at clock times: premedication, steps, vital checks, end, watch list."""
        session = self.get_object()
        plan = selectors.session_plan_at_clock_times(session)
        blockers = [] if plan.state.started else administration.session_start_blockers(session)
        return Response(SessionPlanSerializer({**vars(plan), "start_blockers": blockers}).data)
