"""The planner under ``/api/v1/planner/`` (docs/planner.md, docs/api.md): a suggestion for a
day or week, accepting some or all of its moves, nurses' shifts and the unit's ratios. Parse,
check the policy, call a service or selector, return. Answers name sessions, chairs and nurses
by id: no patient's name."""

from datetime import timedelta
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from infusions.schedule import layout
from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy, api_read_write_policies, signed_in_user
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.services import access_record
from ivig.dates import BOOKING, VIEW, BoundedDate, BoundedDateTime
from orders.models import Patient

from ..chairs.models import Chair
from . import policies, problem, selectors, services, solver
from .models import NurseShift, PatientPreference

PlanWrites = api_policy(policies.can_plan)
TimesKeepers = api_policy(policies.can_keep_patient_times)
StaffingWrites = api_read_write_policies(
    read=policies.can_see_nurse_load, write=policies.can_keep_staffing
)


class SuggestionRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    date = BoundedDate(window=BOOKING, help_text="The day, or a day of the week, to plan.")
    view = serializers.ChoiceField(choices=["day", "week"], default="day")


class MoveRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    session = serializers.IntegerField(min_value=1)
    chair = serializers.IntegerField(min_value=1)
    start = BoundedDateTime(window=BOOKING)
    version = serializers.IntegerField(min_value=1, required=False)


class AcceptRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    moves = serializers.ListField(child=MoveRequestSerializer(), allow_empty=False, max_length=500)


def _measures(measures: solver.Measures) -> dict[str, Any]:
    return {
        "sessions_placed": measures.sessions_placed,
        "sessions_unplaced": measures.sessions_unplaced,
        "overtime_min": measures.overtime_min,
        "chair_utilisation_pct": measures.chair_utilisation_pct,
        "peak_patients_per_nurse": measures.peak_patients_per_nurse,
        "peak_titrations_per_nurse": measures.peak_titrations_per_nurse,
        "minutes_over_ratio": measures.minutes_over_ratio,
        "preference_misses": measures.preference_misses,
        "continuity_breaks": measures.continuity_breaks,
    }


def suggestion_json(suggestion: selectors.Suggestion) -> dict[str, Any]:
    context, result = suggestion.context, suggestion.result
    placements = []
    for placement in result.placements:
        start = context.moment(placement.day_index, placement.start_min)
        placements.append(
            {
                "session": placement.session_id,
                "chair": placement.chair_id,
                "start": start.isoformat(),
                "end": (
                    start + timedelta(minutes=placement.end_min - placement.start_min)
                ).isoformat(),
                "fixed": placement.fixed,
                "moved": placement.moved,
            }
        )
    return {
        "days": [day.isoformat() for day in context.days],
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "solve_time_s": result.solve_time_s,
        "policy": {
            "patients_per_nurse": context.problem.policy.patients_per_nurse,
            "titrations_per_nurse": context.problem.policy.titrations_per_nurse,
        },
        "moves": [
            {
                "session": move.session.pk,
                "version": move.session.version,
                "from": {
                    "chair": move.session.chair_id,
                    "start": move.session.start.isoformat(),
                    "end": move.session.end.isoformat(),
                },
                "chair": move.chair_id,
                "start": move.start.isoformat(),
                "end": move.end.isoformat(),
            }
            for move in suggestion.moves
        ],
        "placements": placements,
        "unplaced": [{"session": u.session_id, "reason": u.reason} for u in result.unplaced],
        "measures": {
            "current": _measures(suggestion.current),
            "proposed": _measures(result.measures),
        },
        "violations": suggestion.violations,
    }


class SuggestionView(APIView):
    """POST a day (or a week: ``view``) to plan: the proposed moves of its tentative sessions,
    every session's place, those that could not be placed and why, the measures of the current
    schedule and of the proposal, the solver's status, objective and bound, and the checker's
    violations (none). Saves nothing."""

    permission_classes = [PlanWrites]

    @extend_schema(request=SuggestionRequestSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        serializer = SuggestionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        day = serializer.validated_data["date"]
        if serializer.validated_data["view"] == "week":
            suggestion = selectors.suggest(layout.week_of(day)[0], 7)
        else:
            suggestion = selectors.suggest(day, 1)
        return Response(suggestion_json(suggestion))


class AcceptView(APIView):
    """POST the chosen moves of a suggestion: each goes through the booking service's move
    (every check of a move runs); the answer says, per move, whether it was made. Moves that
    together would break a rule of the plan (the nurses' ratio, a chair or a patient twice at
    once, a move to another day) are refused whole (400)."""

    permission_classes = [PlanWrites]

    @extend_schema(request=AcceptRequestSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        serializer = AcceptRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moves = [
            problem.Move(row["session"], row["chair"], row["start"], row.get("version"))
            for row in serializer.validated_data["moves"]
        ]
        outcomes = services.plan_accept(moves, by=signed_in_user(request))
        return Response(
            {
                "results": [
                    {"session": o.session_id, "moved": o.moved, "message": o.message}
                    for o in outcomes
                ]
            }
        )


class BreakSerializer(serializers.Serializer):
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()


class ShiftSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    breaks = serializers.ListField(
        child=BreakSerializer(), required=False, max_length=6, write_only=True
    )
    nurse = serializers.PrimaryKeyRelatedField[User](queryset=User.objects.all())
    day = BoundedDate(window=VIEW)

    class Meta:
        model = NurseShift
        fields = ("id", "nurse", "day", "starts_at", "ends_at", "breaks")

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["breaks"] = BreakSerializer(instance.breaks.all(), many=True).data
        return data


class ShiftsView(APIView):
    """Nurses on shift: GET ``?date=`` (default today) lists a day's shifts (every role that
    reads the schedule); POST records one (the nurse in charge: nurses)."""

    permission_classes = [StaffingWrites]

    @extend_schema(responses={200: ShiftSerializer(many=True)})
    def get(self, request: Request) -> Response:
        given = request.query_params.get("date")
        day = BoundedDate(window=VIEW).run_validation(given) if given else timezone.localdate()
        shifts = NurseShift.objects.filter(day=day).prefetch_related("breaks")
        return Response(ShiftSerializer(shifts, many=True).data)

    @extend_schema(request=ShiftSerializer, responses={201: ShiftSerializer})
    def post(self, request: Request) -> Response:
        serializer = ShiftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        shift = services.shift_save(
            None,
            by=signed_in_user(request),
            nurse=data["nurse"],
            day=data["day"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            breaks=[(b["starts_at"], b["ends_at"]) for b in data.get("breaks", [])],
        )
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


class PolicySerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    patients_per_nurse = serializers.IntegerField(min_value=1, max_value=12)
    titrations_per_nurse = serializers.IntegerField(min_value=1, max_value=12)


class PolicyView(APIView):
    """The unit's nurse ratios: GET (every role that reads the schedule), PUT (nurses)."""

    permission_classes = [StaffingWrites]

    @extend_schema(responses={200: PolicySerializer})
    def get(self, request: Request) -> Response:
        return Response(PolicySerializer(problem.staffing_policy()).data)

    @extend_schema(request=PolicySerializer, responses={200: PolicySerializer})
    def put(self, request: Request) -> Response:
        serializer = PolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = services.policy_save(by=signed_in_user(request), **serializer.validated_data)
        return Response(PolicySerializer(policy).data)


class PatientTimesSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    earliest_start = serializers.TimeField(required=False, allow_null=True, default=None)
    latest_end = serializers.TimeField(required=False, allow_null=True, default=None)
    preferred_start_from = serializers.TimeField(required=False, allow_null=True, default=None)
    preferred_start_to = serializers.TimeField(required=False, allow_null=True, default=None)
    preferred_chair = serializers.PrimaryKeyRelatedField[Chair](
        queryset=Chair.objects.all(), required=False, allow_null=True, default=None
    )


class PatientTimesView(APIView):
    """A patient's time window (hard) and preferred start range and chair (soft) for the
    planner and the booking proposal (docs/planner.md): GET and PUT (nurses); PUT replaces
    every field (an absent one is cleared)."""

    permission_classes = [TimesKeepers]

    @extend_schema(responses={200: PatientTimesSerializer})
    def get(self, request: Request, patient_pk: int) -> Response:
        patient = get_object_or_404(Patient, pk=patient_pk)
        access_record(request._request, patient)
        kept = PatientPreference.objects.filter(patient=patient).first()
        return Response(PatientTimesSerializer(kept or PatientPreference(patient=patient)).data)

    @extend_schema(request=PatientTimesSerializer, responses={200: PatientTimesSerializer})
    def put(self, request: Request, patient_pk: int) -> Response:
        patient = get_object_or_404(Patient, pk=patient_pk)
        serializer = PatientTimesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kept = services.preference_save(
            patient, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(PatientTimesSerializer(kept).data)
