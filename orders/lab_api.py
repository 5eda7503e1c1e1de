"""A patient's laboratory results under ``/api/v1/patients/<id>/labs/`` (docs/clinical-rules.md
3.8.2): every role reads (each read is logged); clinicians and nurses record."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ivig.accounts.models import User
from ivig.accounts.permissions import api_read_write_policies, signed_in_user
from ivig.api_errors import ErrorSerializer
from ivig.api_serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record

from . import policies
from .lab_models import LabResult, LabTest
from .labs import lab_result_record, patient_lab_results
from .models import Patient

ClinicianOrNurseWrites = api_read_write_policies(
    read=policies.can_read_patients, write=policies.can_record_labs
)


class LabResultSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    test = serializers.SlugRelatedField[LabTest](
        slug_field="code",
        queryset=LabTest.objects.all(),
        help_text="The test's LOINC code (or local code, L-…), e.g. 2160-0.",
    )
    test_name = serializers.CharField(source="test.name", read_only=True)
    value = serializers.CharField(
        max_length=30,
        help_text='A number in the test\'s unit ("<5" below the detection limit), '
        "positive/negative, or a blood group such as A+.",
    )
    unit = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="Must be the test's unit."
    )
    text = serializers.CharField(read_only=True)
    shown = serializers.CharField(read_only=True)
    flag = serializers.CharField(
        read_only=True,
        help_text='"high" or "low" outside the catalogue\'s reference range, else "".',
    )
    reference_range = serializers.CharField(source="test.reference_range", read_only=True)
    recorded_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

    class Meta:
        model = LabResult
        fields = (
            "id",
            "test",
            "test_name",
            "taken_on",
            "value",
            "text",
            "unit",
            "below_detection_limit",
            "shown",
            "flag",
            "reference_range",
            "source",
            "recorded_by",
            "recorded_at",
        )
        read_only_fields = ("id", "source", "recorded_by", "recorded_at")

    def to_representation(self, instance: LabResult) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["value"] = None if instance.value is None else f"{instance.value.normalize():f}"
        data["unit"] = instance.test.unit if instance.value is not None else ""  # the catalogue's
        return data


class LabResultListCreate(LogsPatientReadsMixin, generics.ListCreateAPIView):
    """A patient's results, newest first; ``POST`` records one (201, or 200 with the stored
    result when it is a duplicate); an implausible value or a wrong unit is a 400."""

    serializer_class = LabResultSerializer
    permission_classes = [ClinicianOrNurseWrites]

    def patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            self._patient = get_object_or_404(Patient, pk=self.kwargs["patient_id"])
        return self._patient

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return LabResult.objects.none()
        return patient_lab_results(self.patient())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        access_record(request._request, self.patient())
        return super().list(request, *args, **kwargs)

    @extend_schema(
        responses={
            201: LabResultSerializer,
            200: OpenApiResponse(LabResultSerializer, description="A duplicate: already stored."),
            400: ErrorSerializer,
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.patient()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result, created = lab_result_record(
            patient,
            by=signed_in_user(request),
            test=data["test"],
            taken_on=data["taken_on"],
            value=data["value"],
            unit=data.get("unit"),
            below_detection_limit=data.get("below_detection_limit", False),
        )
        return Response(
            self.get_serializer(result).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
