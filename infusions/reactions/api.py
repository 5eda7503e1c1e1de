"""Reaction plans under ``/api/v1/reactions/<entry id>/plan/`` (docs/clinical-rules.md 3.8.3):
every role reads a plan with its versions (``can_read_schedule``); clinicians record it (POST)
and revise it (PUT, with the version they saw) under ``can_plan_reaction``, the page's policy.
The same service as the page (``reactions.services``): the same bounds, the same refusals.
Added premedication is lines, written and checked as an order's (``orders.api.checked_lines``)."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from infusions import policies
from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.reactions.models import (
    REACTION_PLAN_MAX_RATE_ML_PER_H,
    ReactionPlan,
    ReactionPlanLine,
)
from infusions.reactions.services import (
    plan_lines,
    plan_versions,
    reaction_plan_record,
    reaction_plan_revise,
)
from ivig.accounts.permissions import api_read_write_policies, signed_in_user
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record
from orders.api import PremedicationLineInputSerializer, checked_lines
from orders.premedication.services import LineValues

PlanWrites = api_read_write_policies(
    read=policies.can_read_schedule, write=policies.can_plan_reaction
)

ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="A rule refused it: a maximum rate outside 1-200 mL/h or below the "
        "protocol's first step, an added line refused (added_lines.<field>, 'Line N: ...'), "
        "a child's line above the children's maximum without dose_high_reason, a child without "
        "a recorded weight (added_lines), nothing said, or a booked session that would run past "
        "its booking without bookings_to_move (details.overruns gives each session's minutes).",
    ),
    403: OpenApiResponse(description="Only clinicians record and revise reaction plans."),
    404: OpenApiResponse(description="No such adverse event, or (GET, PUT) no plan yet."),
    409: OpenApiResponse(
        ErrorSerializer, description="Already planned (POST) or revised since (PUT)."
    ),
}


class PlanWriteSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    max_rate_ml_per_h = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=REACTION_PLAN_MAX_RATE_ML_PER_H,
        help_text="A lower maximum rate (mL/h) for later sessions; not below the first step of "
        "the protocol for the patient.",
    )
    added_lines = PremedicationLineInputSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=20,
        help_text="The premedication later sessions add to the order's, line by line "
        "(docs/clinical-rules.md 3.5), e.g. hydrocortisone 100 mg IV. A revision gives the new "
        "version's lines (none: an empty list or none given).",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required to continue unchanged."
    )
    dose_high_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="For a child (under 18): why an added line stands above its drug's children's "
        "maximum per kg of the latest actual weight (PREMEDICATION_DOSE_HIGH, "
        "docs/clinical-rules.md 3.5). Required then (400 on dose_high_reason with the finding's "
        "message), kept only then.",
    )
    bookings_to_move = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Record it although a booked session would run past its booking: the "
        "booking will be moved (the session's page warns until it is).",
    )

    def validate_added_lines(self, rows: list[dict[str, Any]]) -> list[LineValues]:
        return checked_lines(rows, own_drug_ids=self.context.get("own_drug_ids", ()))


class PlanReviseSerializer(PlanWriteSerializer):
    version = serializers.IntegerField(help_text="The version of the plan you saw.")


class ReactionPlanLineSerializer(serializers.ModelSerializer):
    """One premedication line the plan's current version adds (docs/clinical-rules.md 3.5)."""

    drug = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # type: ignore[var-annotated]
    unit = serializers.CharField(source="dose_unit", read_only=True)
    minutes_before_start = serializers.IntegerField(source="minutes_before", read_only=True)

    class Meta:
        model = ReactionPlanLine
        fields = (
            "id",
            "drug",
            "dose",
            "unit",
            "route",
            "minutes_before_start",
            "dose_high_reason",
        )
        read_only_fields = fields


class PlanVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    summary = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    changes = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="Each changed field with its value before and after.",
    )


class ReactionPlanSerializer(serializers.ModelSerializer):
    recorded_by = serializers.StringRelatedField()  # type: ignore[var-annotated]
    summary = serializers.CharField(read_only=True)
    added_lines = serializers.SerializerMethodField()
    added_premedication = serializers.CharField(
        read_only=True,
        help_text="Plans written before the lines only: their added premedication text that "
        "did not read as lines, kept as written until the next version.",
    )
    versions = serializers.SerializerMethodField()

    class Meta:
        model = ReactionPlan
        fields = (
            "id",
            "reaction",
            "version",
            "max_rate_ml_per_h",
            "added_lines",
            "added_premedication",
            "reason",
            "dose_high_reason",
            "summary",
            "recorded_by",
            "recorded_at",
            "versions",
        )

    @extend_schema_field(ReactionPlanLineSerializer(many=True))
    def get_added_lines(self, plan: ReactionPlan) -> list[dict[str, Any]]:
        return list(ReactionPlanLineSerializer(plan_lines(plan), many=True).data)

    @extend_schema_field(PlanVersionSerializer(many=True))
    def get_versions(self, plan: ReactionPlan) -> list[dict[str, Any]]:
        return [
            {
                "version": item.version,
                "summary": item.summary,
                "by": str(item.by) if item.by is not None else None,
                "at": item.at,
                "changes": [
                    {"field": label, "before": before, "after": after}
                    for label, before, after in item.changes
                ],
            }
            for item in plan_versions(plan)
        ]


class ReactionPlanView(LogsPatientReadsMixin, APIView):
    """The plan for one reaction (an adverse-event entry): read, record, revise."""

    permission_classes = [PlanWrites]

    def _reaction(self, pk: int) -> AdministrationEntry:
        return get_object_or_404(
            AdministrationEntry.objects.select_related("session__order__patient"),
            pk=pk,
            kind=EntryKind.ADVERSE_EVENT,
        )

    @extend_schema(responses={200: ReactionPlanSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        reaction = self._reaction(pk)
        access_record(request._request, reaction.session)
        plan = get_object_or_404(ReactionPlan, reaction=reaction)
        return Response(ReactionPlanSerializer(plan).data)

    @extend_schema(request=PlanWriteSerializer, responses={201: ReactionPlanSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        reaction = self._reaction(pk)
        serializer = PlanWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = reaction_plan_record(
            reaction, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(ReactionPlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanReviseSerializer, responses={200: ReactionPlanSerializer, **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        reaction = self._reaction(pk)
        plan = get_object_or_404(ReactionPlan, reaction=reaction)
        serializer = PlanReviseSerializer(
            data=request.data,
            context={"own_drug_ids": list(plan.lines.values_list("drug_id", flat=True))},
        )
        serializer.is_valid(raise_exception=True)
        revised = reaction_plan_revise(
            plan, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(ReactionPlanSerializer(revised).data)
