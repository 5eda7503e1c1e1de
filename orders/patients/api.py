"""The patients API (docs/api.md, Patients): patients and their weights. Parse, check the role,
call ``orders.patients.services``, return."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy, api_read_write_policies, signed_in_user
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record
from ivig.dates import DATE_OF_BIRTH, MEASURED_ON, BoundedDate

from . import policies, selectors, services
from .models import Patient, PatientWeight, RiskFactor


class RiskFactorsField(serializers.ListField):
    child = serializers.ChoiceField(choices=RiskFactor.choices)


CONFIRM_UNUSUAL_HELP = (
    "true saves a weight that differs by 20 % or more from the previous one within 30 days, or "
    "an adult BMI under 12 or over 80 (docs/clinical-rules.md 3.1.1); without it such a weight "
    "is a 400 with the reason on weight_kg."
)


ClinicianWrites = api_read_write_policies(
    read=policies.can_read_patients, write=policies.can_change_patients
)


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
    weight_measured_on = BoundedDate(
        window=MEASURED_ON,
        required=False,
        help_text="When the first weight was measured (default today).",
    )
    date_of_birth = BoundedDate(window=DATE_OF_BIRTH)
    confirm_unusual = serializers.BooleanField(
        required=False, default=False, help_text=CONFIRM_UNUSUAL_HELP
    )

    class Meta:
        model = Patient
        fields = (*services.PATIENT_FIELDS, "weight_kg", "weight_measured_on", "confirm_unusual")


class PatientUpdateSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    risk_factors = RiskFactorsField(required=False)
    date_of_birth = BoundedDate(window=DATE_OF_BIRTH)
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
ReadsPatients = api_policy(policies.can_read_patients)


@extend_schema(
    parameters=[
        OpenApiParameter("search", str, description="Words that each match an MRN or a name.")
    ]
)
class PatientViewSet(
    LogsPatientReadsMixin,
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
        patient = services.patient_create(by=signed_in_user(request), **serializer.validated_data)
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
        services.patient_update(patient, by=signed_in_user(request), version=version, **changes)
        return self._saved(patient, status.HTTP_200_OK)

    @update_schema
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)


class PatientWeightSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    confirm_unusual = serializers.BooleanField(
        required=False, default=False, write_only=True, help_text=CONFIRM_UNUSUAL_HELP
    )
    measured_on = BoundedDate(window=MEASURED_ON)

    class Meta:
        model = PatientWeight
        fields = ("id", "weight_kg", "measured_on", "recorded_by", "recorded_at", "confirm_unusual")
        read_only_fields = ("id", "recorded_by", "recorded_at")


class PatientWeightListCreate(LogsPatientReadsMixin, generics.ListCreateAPIView):
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
        weight = services.patient_weight_record(
            patient, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(self.get_serializer(weight).data, status=status.HTTP_201_CREATED)
