"""Patients, weights and indications under ``/api/v1/`` (DESIGN 9): parse, call a service or
selector, return. Every role reads; only clinicians write (DESIGN 1)."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from ivig.accounts.models import User
from ivig.accounts.permissions import ALL_ROLES, api_roles
from ivig.accounts.roles import Role
from ivig.audit.services import access_record

from . import selectors, services
from .errors import OrderError
from .models import Indication, Patient, PatientWeight, RiskFactor

ReadAllRoles = api_roles(*ALL_ROLES)
WriteClinicians = api_roles(Role.CLINICIAN)


class ClinicianWrites(BasePermission):
    """Reads for every role, writes for clinicians only (DESIGN 1)."""

    message = "Your role may not use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        allowed = ReadAllRoles if request.method in SAFE_METHODS else WriteClinicians
        return allowed().has_permission(request, view)


def order_error_response(error: OrderError) -> Response:
    """409 when someone else changed the record first, else 400 with field messages."""
    body: dict[str, Any] = {"code": error.code, "detail": error.message}
    if error.is_conflict:
        return Response(body, status=status.HTTP_409_CONFLICT)
    for field, messages in error.field_errors.items():
        body["non_field_errors" if field == NON_FIELD_ERRORS else field] = messages
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def acting_user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class RefuseUnknownFieldsMixin:
    """A field the endpoint does not know is refused (400), not silently dropped."""

    fields: Any
    initial_data: Any

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(dict.fromkeys(unknown, "Unknown field."))
        return attrs


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


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
    permission_classes = [ReadAllRoles]
    lookup_field = "slug"
    pagination_class = None
    filterset_fields = ["category"]


# --- patients ------------------------------------------------------------------------------


class RiskFactorsField(serializers.ListField):
    child = serializers.ChoiceField(choices=RiskFactor.choices)


class PatientSerializer(serializers.ModelSerializer):
    risk_factors = RiskFactorsField()
    age_years = serializers.SerializerMethodField()
    latest_weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, allow_null=True
    )
    latest_weight_measured_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Patient
        fields = (
            "id",
            *services.PATIENT_FIELDS,
            "age_years",
            "latest_weight_kg",
            "latest_weight_measured_on",
            "version",
            "created_at",
            "updated_at",
        )

    def get_age_years(self, patient: Patient) -> int:
        return patient.age_years(timezone.localdate())


class PatientCreateSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    risk_factors = RiskFactorsField(required=False)
    weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, help_text="A first measured weight."
    )
    weight_measured_on = serializers.DateField(
        required=False, help_text="When the first weight was measured (default today)."
    )

    class Meta:
        model = Patient
        fields = (*services.PATIENT_FIELDS, "weight_kg", "weight_measured_on")


class PatientUpdateSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    risk_factors = RiskFactorsField(required=False)
    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a stale version is refused (409)."
    )

    class Meta:
        model = Patient
        fields = (*services.PATIENT_FIELDS, "version")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "version" not in attrs:  # required even for PATCH
            raise serializers.ValidationError({"version": ["This field is required."]})
        return attrs


update_schema = extend_schema(
    request=PatientUpdateSerializer,
    responses={
        200: PatientSerializer,
        400: OpenApiResponse(description="Field errors."),
        409: OpenApiResponse(ErrorSerializer, description="Stale version: reread, then retry."),
    },
)


@extend_schema(
    parameters=[
        OpenApiParameter("search", str, description="Words that each match an MRN or a name.")
    ]
)
class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Patients: every role reads (each retrieve is logged), clinicians register and edit."""

    serializer_class = PatientSerializer
    permission_classes = [ClinicianWrites]

    def get_queryset(self) -> Any:
        search = self.request.query_params.get("search", "") if self.action == "list" else ""
        return selectors.patients_search(search)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return PatientCreateSerializer
        if self.action in ("update", "partial_update"):
            return PatientUpdateSerializer
        return PatientSerializer

    def _saved(self, patient: Patient, status_code: int) -> Response:
        fresh = selectors.patients_with_latest_weight().get(pk=patient.pk)
        return Response(PatientSerializer(fresh).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        access_record(request._request, patient)
        return Response(PatientSerializer(patient).data)

    @extend_schema(
        request=PatientCreateSerializer,
        responses={201: PatientSerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            patient = services.patient_create(by=acting_user(request), **serializer.validated_data)
        except OrderError as error:
            return order_error_response(error)
        return self._saved(patient, status.HTTP_201_CREATED)

    @update_schema
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        serializer = self.get_serializer(
            patient, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        try:
            services.patient_update(patient, by=acting_user(request), version=version, **changes)
        except OrderError as error:
            return order_error_response(error)
        return self._saved(patient, status.HTTP_200_OK)

    @update_schema
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)


# --- weights -------------------------------------------------------------------------------


class PatientWeightSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

    class Meta:
        model = PatientWeight
        fields = ("id", "weight_kg", "measured_on", "recorded_by", "recorded_at")
        read_only_fields = ("id", "recorded_by", "recorded_at")


class PatientWeightListCreate(generics.ListCreateAPIView):
    """A patient's weights, latest first (every role; each read is logged); clinicians
    record a new measurement."""

    serializer_class = PatientWeightSerializer
    permission_classes = [ClinicianWrites]

    def patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            self._patient = get_object_or_404(Patient, pk=self.kwargs["patient_id"])
        return self._patient

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no patient
            return PatientWeight.objects.none()
        return selectors.patient_weights(self.patient())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        access_record(request._request, self.patient())
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={201: PatientWeightSerializer, 400: OpenApiResponse()})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.patient()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            weight = services.patient_weight_record(
                patient, by=acting_user(request), **serializer.validated_data
            )
        except OrderError as error:
            return order_error_response(error)
        return Response(self.get_serializer(weight).data, status=status.HTTP_201_CREATED)
