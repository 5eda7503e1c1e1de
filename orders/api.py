"""Indications and orders under ``/api/v1/`` (docs/clinical-rules.md 4, 9): parse, call a
service or selector, return. Patients and weights are ``orders.patients.api``."""

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from formulary.models import PremedicationDrug, Product
from formulary.premedication.models import DoseUnit, Route
from formulary.selectors import current_policy
from formulary.services import FormularyError
from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy, signed_in_user
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record
from ivig.dates import ORDER_START, BoundedDate
from ivig.engine import DosePlan, dose_plan_to_json

from . import policies, selectors, services
from .dose_plans.input_ranges import range_field_kwargs
from .dose_plans.plan_accessor import OrderPlan, order_plan
from .filters import OrderFilter
from .models import Indication, Order, OrderOverride, PremedicationLine
from .patients.api import ReadsPatients
from .premedication.services import LineValues, line_problems

# --- indications ---------------------------------------------------------------------------


class IndicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indication
        fields = (
            "slug",
            "name",
            "category",
            "icd10_code",
            "default_total_g_per_kg",
            "default_days_per_cycle",
            "default_cycle_interval_days",
            "max_daily_g_per_kg",
            "max_g_per_kg_per_28_days",
        )


class IndicationViewSet(viewsets.ReadOnlyModelViewSet):
    """The indications of the protocol, with ICD-10 codes and dose maxima (by slug).

    A short fixed reference list, returned whole (not paginated)."""

    queryset = Indication.objects.all()
    serializer_class = IndicationSerializer
    permission_classes = [ReadsPatients]
    lookup_field = "slug"
    pagination_class = None
    filterset_fields = ["category"]


# --- patients ------------------------------------------------------------------------------


# --- weights -------------------------------------------------------------------------------


# --- orders (docs/clinical-rules.md 4)
# -----------------------------------------------------------------------

Username = serializers.SlugRelatedField[User]


def _username(**kwargs: Any) -> serializers.SlugRelatedField[User]:
    return Username(slug_field="username", read_only=True, **kwargs)


class OrderOverrideSerializer(serializers.ModelSerializer):
    overridden_by = _username()
    acknowledged_by = _username(allow_null=True)

    class Meta:
        model = OrderOverride
        fields = (
            "code",
            "message",
            "reason",
            "overridden_by",
            "overridden_at",
            "acknowledged_by",
            "acknowledged_at",
        )


@extend_schema_field({"type": "object"})
class PlanAtSigningField(serializers.JSONField):
    """Null until signed (a JSON field's default schema, "anything or null", says nothing)."""


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "severity": {"type": "string"},
                "message": {"type": "string"},
            },
            "required": ["code", "severity", "message"],
        },
    }
)
class FindingsAtSigningField(serializers.JSONField):
    """Null until signed; then the findings as the engine gave them."""


class PremedicationLineSerializer(serializers.ModelSerializer):
    """One premedication line of the order (docs/clinical-rules.md 3.5), in the names the order
    is written with."""

    drug = serializers.SlugRelatedField[PremedicationDrug](slug_field="slug", read_only=True)
    unit = serializers.CharField(source="dose_unit", read_only=True)
    minutes_before_start = serializers.IntegerField(source="minutes_before", read_only=True)

    class Meta:
        model = PremedicationLine
        fields = ("drug", "dose", "unit", "route", "minutes_before_start")
        read_only_fields = fields


def _each_line_named(detail: list[Any]) -> list[Any]:
    """Each line's messages saying which line they are about ("Line 2: ..."): the error body
    names the field (``premedication_lines.dose``), not the item."""
    return [
        {
            field: [f"Line {i}: {message}" for message in messages]
            for field, messages in item.items()
        }
        if isinstance(item, dict)
        else item
        for i, item in enumerate(detail, start=1)
    ]


class _PremedicationLines(serializers.ListSerializer):
    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, list):
                raise serializers.ValidationError(_each_line_named(error.detail)) from None
            raise


class PremedicationLineInputSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """One premedication line as written (docs/clinical-rules.md 3.5); the rules of a line are
    ``orders.premedication.services.line_problems``'s (400 on ``premedication_lines``)."""

    drug = serializers.SlugRelatedField[PremedicationDrug](
        slug_field="slug",
        queryset=PremedicationDrug.objects.all(),
        help_text="A drug of the premedication catalogue, by its slug (e.g. diphenhydramine).",
        error_messages={"does_not_exist": "No premedication drug “{value}” in the catalogue."},
    )
    dose = serializers.DecimalField(
        max_digits=7, decimal_places=2, help_text="In the drug's unit, above 0."
    )
    unit = serializers.ChoiceField(
        choices=DoseUnit.choices, required=False, help_text="The drug's unit (default: it)."
    )
    route = serializers.ChoiceField(
        choices=Route.choices, required=False, help_text="Default: the drug's usual route."
    )
    minutes_before_start = serializers.IntegerField(
        required=False,
        help_text="15 to 30 (default: the dosing policy's premedication lead, 30).",
    )

    class Meta:
        list_serializer_class = _PremedicationLines

    def to_line(self, data: dict[str, Any], default_minutes: int) -> LineValues:
        drug: PremedicationDrug = data["drug"]
        minutes = data.get("minutes_before_start")
        return LineValues(
            drug=drug,
            dose=data["dose"],
            dose_unit=data.get("unit") or drug.dose_unit,
            route=data.get("route") or drug.route,
            minutes_before=default_minutes if minutes is None else minutes,
        )


def checked_lines(
    rows: list[dict[str, Any]], *, own_drug_ids: Sequence[int] = ()
) -> list[LineValues]:
    """Validated ``PremedicationLineInputSerializer`` rows as lines, refused (400) on each
    line's field ("Line 2: ...") when ``line_problems`` finds any: an order's lines and a
    reaction plan's added lines alike."""
    minutes = current_policy().premedication_lead_minutes
    lines = [PremedicationLineInputSerializer().to_line(row, minutes) for row in rows]
    problems = line_problems(lines, allowed_drug_ids=own_drug_ids)
    if problems:
        renamed = {"dose_unit": "unit", "minutes_before": "minutes_before_start"}
        raise serializers.ValidationError(
            _each_line_named(
                [
                    {renamed.get(name, name): [msg] for name, msg in problems[i].items()}
                    if i in problems
                    else {}
                    for i in range(len(lines))
                ]
            )
        )
    return lines


class OrderSerializer(serializers.ModelSerializer):
    """An order version as stored: its choices, status, who did what when, the overrides, and
    the engine's plan and findings as they were at signing."""

    number = serializers.CharField(read_only=True, help_text="What people call the order.")
    indication = serializers.SlugRelatedField[Indication](slug_field="slug", read_only=True)
    product = serializers.SlugRelatedField[Product](slug_field="slug", read_only=True)
    created_by = _username()
    signed_by = _username(allow_null=True)
    verified_by = _username(allow_null=True)
    discontinued_by = _username(allow_null=True)
    overrides = OrderOverrideSerializer(many=True, read_only=True)
    premedication = serializers.CharField(
        read_only=True,
        help_text="Orders written before the lines only: their premedication text, kept as "
        "written (the parts that read as lines are in premedication_lines).",
    )
    premedication_lines = PremedicationLineSerializer(
        many=True,
        read_only=True,
        help_text="The order's premedication lines (docs/clinical-rules.md 3.5).",
    )
    plan_at_signing = PlanAtSigningField(
        read_only=True,
        allow_null=True,
        help_text="The engine's plan as it was at signing (the dose-plan answer's fields).",
    )
    findings_at_signing = FindingsAtSigningField(
        read_only=True, allow_null=True, help_text="The engine's findings at signing."
    )

    class Meta:
        model = Order
        fields = (
            "id",
            "number",
            "lineage",
            "revision",
            "supersedes",
            "patient",
            *services.ORDER_FIELDS,
            "premedication",
            "premedication_lines",
            "status",
            "version",
            "created_by",
            "created_at",
            "signed_by",
            "signed_at",
            "verified_by",
            "verified_at",
            "rejection_reason",
            "discontinued_by",
            "discontinued_at",
            "discontinue_reason",
            "completed_at",
            "overrides",
            "plan_at_signing",
            "findings_at_signing",
        )
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    """One order, with the findings of its plan as of today beside those at signing
    (docs/clinical-rules.md 3.9): ``new_finding_codes`` are the codes the signed version did not
    carry. Both are null when the engine cannot plan the order today (no current price)."""

    current_findings = serializers.SerializerMethodField(
        help_text="The engine's findings for the order on today's facts and calendar."
    )
    new_finding_codes = serializers.SerializerMethodField(
        help_text="Codes among current_findings that the signed version did not carry."
    )

    class Meta(OrderSerializer.Meta):
        fields = (*OrderSerializer.Meta.fields, "current_findings", "new_finding_codes")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]

    def _living(self, order: Order) -> OrderPlan | None:
        if "living" not in self.context:
            try:
                self.context["living"] = order_plan(order, as_of=timezone.localdate())
            except FormularyError:
                self.context["living"] = None
        living: OrderPlan | None = self.context["living"]
        return living

    @extend_schema_field({"type": "array", "items": {"type": "object"}, "nullable": True})
    def get_current_findings(self, order: Order) -> list[dict[str, Any]] | None:
        living = self._living(order)
        if living is None:
            return None
        return [finding.model_dump(mode="json") for finding in living.findings]

    @extend_schema_field({"type": "array", "items": {"type": "string"}, "nullable": True})
    def get_new_finding_codes(self, order: Order) -> list[str] | None:
        living = self._living(order)
        return None if living is None else living.new_finding_codes


class OrderCreateSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    indication = serializers.SlugRelatedField[Indication](
        slug_field="slug", queryset=Indication.objects.all()
    )
    product = serializers.SlugRelatedField[Product](
        slug_field="slug", queryset=Product.objects.all()
    )
    premedication_lines = PremedicationLineInputSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=20,
        help_text="The premedication, line by line (docs/clinical-rules.md 3.5). Default on "
        "creation: the engine's for the patient (a child's weight-based); on a change: "
        "unchanged. An empty list: none.",
    )
    start_date = BoundedDate(window=ORDER_START)

    class Meta:
        model = Order
        fields = ("patient", *services.ORDER_FIELDS, "premedication_lines")
        extra_kwargs = range_field_kwargs()

    def validate_premedication_lines(self, rows: list[dict[str, Any]]) -> list[LineValues]:
        return checked_lines(rows, own_drug_ids=self.context.get("own_drug_ids", ()))


class OrderUpdateSerializer(OrderCreateSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a stale version is refused (409)."
    )

    class Meta:
        model = Order
        fields = (*services.ORDER_FIELDS, "premedication_lines", "version")
        extra_kwargs = range_field_kwargs()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "version" not in attrs:  # required even for PATCH
            raise serializers.ValidationError({"version": ["This field is required."]})
        return attrs


class OrderSignSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, help_text="The signing clinician's password."
    )
    override_reasons = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text='A reason per override finding code, e.g. {"RENAL_RISK": "…"}.',
    )
    version = serializers.IntegerField(min_value=1)


class OrderVerifySerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    acknowledged_codes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Every override's code: the pharmacist acknowledges each.",
    )
    version = serializers.IntegerField(min_value=1)


class OrderReasonSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(min_value=1, required=False)


class OrderVersionSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)


# One policy per action (orders/policies.py); an action not listed is refused.
ORDER_ACTION_POLICIES: dict[str, Callable[..., bool]] = {
    "list": policies.can_read_orders,
    "retrieve": policies.can_read_orders,
    "plan": policies.can_read_orders,
    "create": policies.can_create_order,
    "update": policies.can_edit,
    "partial_update": policies.can_edit,
    "sign": policies.can_sign,
    "discontinue": policies.can_discontinue,
    "complete": policies.can_complete,
    "verify": policies.can_verify,
    "reject": policies.can_reject,
}


def _refused(user: Any) -> bool:
    return False


STEP_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Field errors or a rule refused it."),
    403: OpenApiResponse(description="Your role may not do this."),
    409: OpenApiResponse(
        ErrorSerializer, description="Stale version, or the order's status forbids it."
    ),
}


def _step_schema(request: type[serializers.Serializer], summary: str) -> Any:
    return extend_schema(
        request=request, responses={200: OrderSerializer, **STEP_ERRORS}, summary=summary
    )


class OrderViewSet(
    LogsPatientReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """IVIg orders (docs/clinical-rules.md 4): every role reads (each retrieve is logged);
    clinicians create, change, sign, discontinue and complete; pharmacists verify and reject."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    queryset = selectors.orders_with_related()

    def get_permissions(self) -> list[BasePermission]:
        return [api_policy(ORDER_ACTION_POLICIES.get(self.action or "", _refused))()]

    def get_queryset(self) -> QuerySet[Any]:
        if self.action == "list":  # the rows as listed, lean (the detail plans: whole rows)
            return selectors.order_api_rows()
        if self.action == "plan":  # the plan alone: what it reads of the order
            return selectors.orders_for_their_plans()
        return super().get_queryset()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The list's filters (status, patient, words) narrow the list only: any version is read
        or acted on by its id, a superseded one included (issue 19, API parity)."""
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self) -> type[BaseSerializer]:
        classes: dict[str, type[BaseSerializer]] = {
            "create": OrderCreateSerializer,
            "update": OrderUpdateSerializer,
            "partial_update": OrderUpdateSerializer,
            "sign": OrderSignSerializer,
            "verify": OrderVerifySerializer,
            "reject": OrderReasonSerializer,
            "discontinue": OrderReasonSerializer,
            "complete": OrderVersionSerializer,
        }
        return classes.get(self.action or "", OrderSerializer)

    def _shown(self, order: Order, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.orders_with_related().get(pk=order.pk)
        return Response(OrderSerializer(fresh).data, status=status_code)

    def _input(self, request: Request, **kwargs: Any) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(
        responses={200: OrderDetailSerializer},
        description=(
            "Any version of an order by its id, whatever its status (a superseded version "
            "included: no `?status=` needed). The list leaves superseded versions out unless "
            "`status=superseded` is asked for."
        ),
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        access_record(request._request, order)
        return Response(OrderDetailSerializer(order).data)

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        values = self._input(request)
        order = services.order_create(by=signed_in_user(request), **values)
        return self._shown(order, status.HTTP_201_CREATED)

    @extend_schema(
        request=OrderUpdateSerializer,
        responses={
            200: OrderSerializer,
            201: OpenApiResponse(
                OrderSerializer,
                description="The order was signed or verified: the change is a new version.",
            ),
            **STEP_ERRORS,
        },
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        changes = self._input(
            request,
            partial=kwargs.get("partial", False),
            # A drug the order names stays allowed on its lines after it leaves the catalogue.
            context={
                **self.get_serializer_context(),
                "own_drug_ids": list(order.premedication_lines.values_list("drug", flat=True)),
            },
        )
        version = changes.pop("version")
        saved = services.order_update(order, by=signed_in_user(request), version=version, **changes)
        return self._shown(
            saved, status.HTTP_201_CREATED if saved.pk != order.pk else status.HTTP_200_OK
        )

    @extend_schema(
        request=OrderUpdateSerializer,
        responses={
            200: OrderSerializer,
            201: OpenApiResponse(OrderSerializer, description="A new version."),
            **STEP_ERRORS,
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def _step(self, request: Request, step: Any) -> Response:
        order = self.get_object()
        data = self._input(request)
        return self._shown(step(order, by=signed_in_user(request), **data))

    @_step_schema(OrderSignSerializer, "Sign a draft (clinician; password again)")
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.order_sign)

    @_step_schema(OrderVerifySerializer, "Verify a signed order (another pharmacist)")
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.order_verify)

    @_step_schema(OrderReasonSerializer, "Reject a signed order back to draft (pharmacist)")
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.order_reject)

    @_step_schema(OrderReasonSerializer, "Discontinue an order (clinician)")
    @action(detail=True, methods=["post"])
    def discontinue(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.order_discontinue)

    @_step_schema(OrderVersionSerializer, "Mark a verified or active order completed")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.order_complete)

    @extend_schema(
        responses={200: DosePlan, 400: OpenApiResponse(ErrorSerializer)},
        summary="The engine's plan for the order on today's facts (the dose-plan answer)",
    )
    @action(detail=True, methods=["get"])
    def plan(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        access_record(request._request, order)
        return Response(dose_plan_to_json(order_plan(order, as_of=timezone.localdate()).plan))
