"""A patient's laboratory results under ``/api/v1/patients/<id>/labs/`` (docs/clinical-rules.md
3.8.2): every role reads (each read is logged); clinicians and nurses record."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy, api_read_write_policies, signed_in_user
from ivig.api.errors import ErrorSerializer
from ivig.api.serializers import RefuseUnknownFieldsMixin
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.audit.services import access_record
from ivig.dates import LAB_TAKEN_ON, BoundedDate
from orders.patients.models import Patient
from orders.patients.policies import can_read_patients

from . import policies
from .background import lab_import_upload
from .models import LabImport, LabResult, LabTest
from .selectors import lab_import_of, patient_lab_results
from .services import (
    IMPORT_COLUMNS,
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    IMPORT_REFUSED_LISTED,
    LabError,
    lab_result_record,
)

ClinicianOrNurseWrites = api_read_write_policies(
    read=can_read_patients, write=policies.can_record_labs
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
    taken_on = BoundedDate(window=LAB_TAKEN_ON)
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


# --- the import ----------------------------------------------------------------------------------


class LabImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"A CSV export with the columns {', '.join(IMPORT_COLUMNS)} (UTF-8), at most "
        f"{IMPORT_MAX_ROWS} rows and {IMPORT_MAX_BYTES} bytes."
    )


class LabImportRefusedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField()


class LabImportReportSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Rows read.")
    imported = serializers.IntegerField(help_text="Results stored.")
    duplicates = serializers.IntegerField(help_text="Rows already recorded, ignored.")


class LabImportStatusSerializer(serializers.ModelSerializer):
    """A background import: its progress and, once done, the report an import run at once
    gives (``rows``, ``imported``, ``duplicates``; ``refused_count`` and ``refused``)."""

    url = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    rows = serializers.IntegerField(source="rows_total", help_text="Rows read.")
    accepted = serializers.BooleanField(
        allow_null=True, help_text="null while it runs; false when rows were refused or it failed."
    )
    percent_done = serializers.IntegerField()
    refused = serializers.SerializerMethodField()

    class Meta:
        model = LabImport
        fields = (
            "id",
            "url",
            "status",
            "file_name",
            "size_bytes",
            "created_by",
            "created_at",
            "finished_at",
            "rows",
            "rows_done",
            "percent_done",
            "accepted",
            "imported",
            "duplicates",
            "refused_count",
            "refused",
            "error",
        )
        read_only_fields = fields

    def get_url(self, lab_import: LabImport) -> str:
        return reverse("api-lab-import-status", kwargs={"pk": lab_import.pk})

    @extend_schema_field(LabImportRefusedRowSerializer(many=True))
    def get_refused(self, lab_import: LabImport) -> list[dict[str, Any]]:
        return [{"line": line, "reason": reason} for line, reason in lab_import.refused]


class LabImportView(APIView):
    """Import a laboratory export, all or nothing, as the page does (docs/clinical-rules.md
    3.8.2): 201 with the counts when every row is accepted; otherwise nothing is imported and
    the answer is a 400 (``lab_import_refused``) listing each refused row with its line and
    reason. A file that is not such an export (no UTF-8, a column missing, too large) is a 400
    on ``file``. A file of more rows than ``LAB_IMPORT_BACKGROUND_ROWS`` is imported in the
    background: 202 with the import's status and its ``url`` (``Location``) to follow it."""

    permission_classes = [api_policy(policies.can_record_labs)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": LabImportRequestSerializer},
        responses={
            201: LabImportReportSerializer,
            202: OpenApiResponse(
                LabImportStatusSerializer,
                description="A large file, queued: follow its url for progress and report.",
            ),
            400: OpenApiResponse(
                ErrorSerializer,
                description="Nothing imported. With code lab_import_refused the body also "
                "has rows (read), refused_count and refused: a list of {line, reason}, the "
                f"first {IMPORT_REFUSED_LISTED}.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = LabImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = lab_import_upload(serializer.validated_data["file"], by=signed_in_user(request))
        if isinstance(report, LabImport):
            data = LabImportStatusSerializer(report).data
            return Response(
                data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]}
            )
        if not report.accepted:
            message = f"Nothing imported: {report.refused_count} of {report.rows} rows refused."
            raise LabError(
                LabError.IMPORT_REFUSED,
                message,
                "file",
                details={
                    "rows": report.rows,
                    "refused_count": report.refused_count,
                    "refused": [
                        {"line": line, "reason": reason} for line, reason in report.refused
                    ],
                },
            )
        return Response(
            {"rows": report.rows, "imported": report.imported, "duplicates": report.duplicates},
            status=status.HTTP_201_CREATED,
        )


class LabImportStatusView(LogsPatientReadsMixin, generics.RetrieveAPIView):
    """A background import's status, progress and, once done, its report (the read is logged:
    the report quotes the file's rows)."""

    serializer_class = LabImportStatusSerializer
    permission_classes = [api_policy(policies.can_record_labs)]

    def get_object(self) -> LabImport:
        return lab_import_of(self.kwargs["pk"])
