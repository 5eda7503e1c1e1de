"""Every FHIR resource type served under ``/fhir/R4/``, in the CapabilityStatement's order: the
URL configuration routes them and the CapabilityStatement lists them (docs/fhir.md)."""

from interop.fhir import ResourceEndpoint
from interop.resources.allergy import AllergyIntoleranceEndpoint
from interop.resources.appointment import AppointmentEndpoint, ScheduleEndpoint, SlotEndpoint
from interop.resources.authorization import ClaimResponseEndpoint, CoverageEndpoint
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
