"""The administration record under ``/api/v1/`` (docs/clinical-rules.md 6, 9): a session's entries
(only ever added) and the pharmacists' lot recall look-up. Parse, call a service or selector,
return; refusals are 400, 409 or 403 (docs/api.md)."""

from __future__ import annotations

import copy
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from infusions import policies
from infusions.administration import services as administration
from infusions.administration.entries import ENTRY_MODELS, entry_fields, parse_entry
from infusions.administration.forms import lots_looked_up
from infusions.administration.models import (
    SESSION_REASON_MAX_CHARS,
    AdministrationEntry,
    EntryKind,
    Severity,
    Symptom,
)
from infusions.administration.premedication import (
    LineGiven,
    premedication_given_record,
    premedication_given_rows,
)
from infusions.administration.record import STATE_KINDS
from infusions.booking.models import InfusionSession
from ivig.accounts.models import User
from ivig.accounts.permissions import (
    api_policy,
    api_read_write_policies,
    signed_in_user,
)
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record, access_records
from ivig.dates import VIEW, BoundedDateTime
from ivig.numbers import INT_MAX, SMALLINT_MAX

RecordWrites = api_read_write_policies(read=policies.can_read_schedule, write=policies.can_record)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A rule refused it."),
    403: OpenApiResponse(description="Only nurses change the schedule and the record."),
    409: OpenApiResponse(ErrorSerializer, description="Taken or changed by someone else first."),
}


class EntrySerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    symptoms = serializers.ListField(child=serializers.ChoiceField(choices=Symptom.choices))
    # Blank on every entry but an adverse event (a read-only model field would not say so).
    severity = serializers.ChoiceField(choices=Severity.choices, allow_blank=True, read_only=True)

    class Meta:
        model = AdministrationEntry
        fields = (
            "id",
            "session",
            "kind",
            "occurred_at",
            "recorded_by",
            "recorded_at",
            "correction_of",
            "details",
            "rate_ml_per_h",
            "lot_number",
            "vial_size_g",
            "vial_count",
            "bp_systolic_mmhg",
            "bp_diastolic_mmhg",
            "pulse_per_min",
            "temperature_c",
            "respiratory_rate_per_min",
            "spo2_pct",
            "symptoms",
            "severity",
            "action",
            "volume_ml",
            "grams_given",
        )
        read_only_fields = fields


class EntryCreateSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """One entry; send only the fields of its kind. The serializer reads the fields; the entry
    is then validated as its kind's model (``entries.parse_entry``): a field the kind does not
    record, a missing or implausible value is a 400 with ``code``, ``detail`` and ``field``."""

    kind = serializers.ChoiceField(choices=EntryKind.choices)
    occurred_at = BoundedDateTime(window=VIEW, required=False, help_text="Default: now.")
    correction_of = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=INT_MAX,
        help_text="The id of the entry this one corrects.",
    )
    details = serializers.CharField(required=False, allow_blank=True)
    rate_ml_per_h = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SMALLINT_MAX
    )
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    vial_size_g = serializers.DecimalField(
        required=False, allow_null=True, max_digits=5, decimal_places=2
    )
    vial_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SMALLINT_MAX
    )
    bp_systolic_mmhg = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SMALLINT_MAX
    )
    bp_diastolic_mmhg = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SMALLINT_MAX
    )
    pulse_per_min = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SMALLINT_MAX
    )
    temperature_c = serializers.DecimalField(
        required=False, allow_null=True, max_digits=3, decimal_places=1
    )
    respiratory_rate_per_min = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SMALLINT_MAX
    )
    spo2_pct = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=SMALLINT_MAX
    )
    symptoms = serializers.ListField(
        child=serializers.ChoiceField(choices=Symptom.choices), required=False
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    action = serializers.CharField(required=False, allow_blank=True)
    volume_ml = serializers.DecimalField(
        required=False, allow_null=True, max_digits=6, decimal_places=1
    )
    grams_given = serializers.DecimalField(
        required=False, allow_null=True, max_digits=6, decimal_places=2
    )


def _entry_kind_serializer(kind: str) -> type[serializers.Serializer]:
    """The body of one entry kind as the service accepts it (``entries.ENTRY_MODELS``): its
    own fields only, those its model needs marked required; for the OpenAPI schema."""
    model = ENTRY_MODELS[kind]
    fields: dict[str, Any] = {
        "kind": serializers.ChoiceField(choices=[(kind, EntryKind(kind).label)]),
    }
    shared = ("occurred_at",) if kind in STATE_KINDS else ("occurred_at", "correction_of")
    for name in (*shared, *entry_fields(kind)):
        template = EntryCreateSerializer._declared_fields[name]
        if name in shared:  # as the create serializer declares it (bounds included)
            fields[name] = copy.deepcopy(template)
            continue
        # DRF keeps a field's arguments to copy it; a list's child is made afresh.
        options = copy.deepcopy(getattr(template, "_kwargs"))  # noqa: B009
        required = model.model_fields[name].is_required()
        options["required"] = required
        if required:
            options.pop("allow_null", None)
            options.pop("allow_blank", None)
        if name == "details" and kind == EntryKind.STARTED:
            options["help_text"] = (
                "Why the infusion starts more than an hour from its booking (needed then)."
            )
        fields[name] = type(template)(*getattr(template, "_args"), **options)  # noqa: B009
    name = "".join(part.title() for part in kind.split("_")) + "Entry"
    return type(name, (serializers.Serializer,), fields)


# docs/clinical-rules.md 6: each entry kind's body, as ``kind`` says (a oneOf in the schema).
ENTRY_REQUEST = PolymorphicProxySerializer(
    component_name="EntryCreate",
    serializers={kind: _entry_kind_serializer(kind) for kind in ENTRY_MODELS},
    resource_type_field_name="kind",
)


class EntryListCreate(LogsPatientReadsMixin, generics.ListCreateAPIView):
    """A session's administration record, oldest first (every role; each read is logged);
    nurses append entries. Entries are never changed or deleted: a correction is a new entry
    with ``correction_of``."""

    serializer_class = EntrySerializer
    permission_classes = [RecordWrites]
    pagination_class = None

    def session(self) -> InfusionSession:
        if not hasattr(self, "_session"):
            self._session = get_object_or_404(
                InfusionSession.objects.select_related("order__product"), pk=self.kwargs["pk"]
            )
        return self._session

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return AdministrationEntry.objects.none()
        return self.session().entries.select_related("recorded_by").order_by("occurred_at", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        access_record(request._request, self.session())
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ENTRY_REQUEST, responses={201: EntrySerializer, **ERRORS})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Append one entry: the body of its ``kind`` (only that kind's fields)."""
        return self.create(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self.session()
        serializer = EntryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        occurred_at = data.pop("occurred_at", None)
        correction_id = data.pop("correction_of", None)
        correction_of = administration.entry_to_correct(session, correction_id)
        recorded = administration.administration_record(
            session,
            parse_entry(data),
            by=signed_in_user(request),
            occurred_at=occurred_at,
            correction_of=correction_of,
        )
        return Response(EntrySerializer(recorded).data, status=status.HTTP_201_CREATED)


class PremedicationGivenSerializer(serializers.Serializer):
    """A premedication line of the session's order (``line``), or one a reaction plan it
    follows adds (``plan_line``), and what was recorded for it on this session (``given_at``
    and ``given_by``; or ``not_given_reason``; all null until recorded)."""

    line = serializers.SerializerMethodField(help_text="The order's line; null: a plan's.")
    plan_line = serializers.SerializerMethodField(
        help_text="The reaction plan's added line; null: the order's."
    )
    drug = serializers.CharField(source="line.drug.slug")
    dose = serializers.DecimalField(source="line.dose", max_digits=7, decimal_places=2)
    unit = serializers.CharField(source="line.dose_unit")
    route = serializers.CharField(source="line.route")
    minutes_before_start = serializers.IntegerField(source="line.minutes_before")
    given_at = serializers.DateTimeField(source="record.given_at", allow_null=True)
    given_by = serializers.CharField(source="record.given_by.username", allow_null=True)
    not_given_reason = serializers.CharField(source="record.not_given_reason", allow_null=True)
    recorded_at = serializers.DateTimeField(source="record.recorded_at", allow_null=True)

    def get_line(self, row: LineGiven) -> int | None:
        return None if row.from_plan else row.line.pk

    def get_plan_line(self, row: LineGiven) -> int | None:
        return row.line.pk if row.from_plan else None


class PremedicationGivenCreateSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    line = serializers.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        help_text="A premedication line of the session's order (or give plan_line).",
    )
    plan_line = serializers.IntegerField(
        min_value=1,
        max_value=INT_MAX,
        required=False,
        help_text="A line a reaction plan the session follows adds (or give line).",
    )
    given = serializers.BooleanField(help_text="false: not given (then say why).")
    given_at = BoundedDateTime(window=VIEW, required=False, help_text="Default: now.")
    not_given_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=SESSION_REASON_MAX_CHARS
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("line" in attrs) == ("plan_line" in attrs):
            raise serializers.ValidationError(
                {"line": ["Give line (the order's) or plan_line (a reaction plan's), one."]}
            )
        return attrs


class PremedicationGivenView(LogsPatientReadsMixin, APIView):
    """A session's premedication, line by line (docs/clinical-rules.md 3.5, 6): every role reads
    it (each read logged); nurses record each line once, given or not given."""

    permission_classes = [RecordWrites]

    def _session(self, pk: int) -> InfusionSession:
        return get_object_or_404(InfusionSession.objects.select_related("order"), pk=pk)

    @extend_schema(responses=PremedicationGivenSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        session = self._session(pk)
        access_record(request._request, session)
        rows = premedication_given_rows(session)
        return Response(PremedicationGivenSerializer(rows, many=True).data)

    @extend_schema(
        request=PremedicationGivenCreateSerializer,
        responses={201: PremedicationGivenSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        session = self._session(pk)
        serializer = PremedicationGivenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = premedication_given_record(
            session,
            line_id=data.get("line"),
            plan_line_id=data.get("plan_line"),
            by=signed_in_user(request),
            given=data["given"],
            given_at=data.get("given_at"),
            not_given_reason=data.get("not_given_reason", ""),
        )
        line = record.line or record.plan_line
        assert line is not None  # the database holds one of the two
        row = LineGiven(line, record)
        return Response(PremedicationGivenSerializer(row).data, status=status.HTTP_201_CREATED)


class LotRowSerializer(serializers.Serializer):
    patient = serializers.IntegerField(source="patient.pk")
    patient_name = serializers.CharField(source="patient.full_name")
    mrn = serializers.CharField(source="patient.mrn")
    order = serializers.CharField(source="order.number")
    session = serializers.IntegerField(source="session.pk")
    session_day = serializers.DateField()
    session_status = serializers.CharField(source="session.status")
    vials = serializers.IntegerField()
    vial_size_g = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=True)
    grams = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True)
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="nurse")


class LotRecallView(LogsPatientReadsMixin, APIView):
    """Every patient and session that received a lot of a product (pharmacists)."""

    permission_classes = [api_policy(policies.can_look_up_lots)]

    @extend_schema(
        parameters=[
            OpenApiParameter("product", str, description="The product's slug.", required=True),
            OpenApiParameter("lot", str, description="The lot number.", required=True),
        ],
        responses=LotRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        form, rows = lots_looked_up(request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        access_records(request._request, [row.session for row in rows])
        return Response(LotRowSerializer(rows, many=True).data)
