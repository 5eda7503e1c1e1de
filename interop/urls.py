"""Everything under ``/fhir/R4/`` (docs/fhir.md)."""

from django.urls import path, re_path

from .allergy import AllergyIntoleranceEndpoint
from .appointment import AppointmentEndpoint, ScheduleEndpoint, SlotEndpoint
from .authorization import ClaimResponseEndpoint, CoverageEndpoint
from .capability import MetadataEndpoint
from .condition import ConditionEndpoint
from .fhir import FhirView, ResourceEndpoint
from .medication import MedicationEndpoint
from .medication_administration import MedicationAdministrationEndpoint
from .medication_request import MedicationRequestEndpoint
from .observation import ObservationEndpoint
from .patient import PatientEndpoint
from .transaction import TransactionEndpoint

# Every resource type served, in the CapabilityStatement's order.
ENDPOINTS: tuple[type[ResourceEndpoint], ...] = (
    PatientEndpoint,
    ObservationEndpoint,
    MedicationEndpoint,
    MedicationRequestEndpoint,
    MedicationAdministrationEndpoint,
    AllergyIntoleranceEndpoint,
    ConditionEndpoint,
    CoverageEndpoint,
    ClaimResponseEndpoint,
    AppointmentEndpoint,
    ScheduleEndpoint,
    SlotEndpoint,
)


class UnknownEndpoint(FhirView):
    """Any other address under the base: a 404 ``OperationOutcome``."""

    def get(self, request, path: str = ""):
        from .fhir import FhirError

        raise FhirError(404, "not-supported", "No such resource type or operation is served.")

    post = put = patch = delete = get


urlpatterns = [
    path("", TransactionEndpoint.as_view(), name="fhir-transaction"),
    path("metadata", MetadataEndpoint.as_view(), name="fhir-metadata"),
    *(
        route
        for endpoint in ENDPOINTS
        for route in (
            path(
                f"{endpoint.resource_type}",
                endpoint.as_view(),
                name=f"fhir-{endpoint.resource_type}",
            ),
            path(
                f"{endpoint.resource_type}/<str:resource_id>",
                endpoint.as_view(),
                name=f"fhir-{endpoint.resource_type}-read",
            ),
        )
    ),
    re_path(r"^(?P<path>[\s\S]*)$", UnknownEndpoint.as_view(), name="fhir-unknown"),
]
