"""Everything under ``/fhir/R4/`` (docs/fhir.md)."""

from django.urls import path, re_path

from interop.fhir import FhirView, ResourceEndpoint
from interop.inbound.transaction import TransactionEndpoint
from interop.resources.allergy import AllergyIntoleranceEndpoint
from interop.resources.appointment import AppointmentEndpoint, ScheduleEndpoint, SlotEndpoint
from interop.resources.authorization import ClaimResponseEndpoint, CoverageEndpoint
from interop.resources.capability import MetadataEndpoint
from interop.resources.condition import ConditionEndpoint
from interop.resources.medication import MedicationEndpoint
from interop.resources.medication_administration import MedicationAdministrationEndpoint
from interop.resources.medication_request import MedicationRequestEndpoint
from interop.resources.observation import ObservationEndpoint
from interop.resources.patient import PatientEndpoint

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
        from interop.fhir import FhirError

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
