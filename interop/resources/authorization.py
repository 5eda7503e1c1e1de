"""``Coverage`` and ``ClaimResponse`` (FHIR R4): insurance prior authorizations
(docs/clinical-rules.md 7).

Each ``authorizations.Authorization`` is one request to a payer for one order. Its payer and
member id are a ``Coverage`` (the insurance it was asked of); the payer's decision, once there is
one (approved, denied, expired), is a ``ClaimResponse`` with ``use`` preauthorization. Both take
the authorization's id. What an approval covers day by day is
``authorizations.coverage_rules``'s, not stated here: the approved cycles and grams are the
payer's numbers as recorded.

Coverage
=============================  ==============================================================
``id``                         ``Authorization.pk``
``status``                     active (``entered-in-error`` is never recorded)
``subscriberId``               ``member_id``
``beneficiary``                ``Patient/{patient.pk}``
``payor[0].display``           ``payer``
``relationship``               none (the record does not say whose policy it is)
=============================  ==============================================================

ClaimResponse (authorizations with a decision: approved, denied, expired)
=============================  ==============================================================
``id``                         ``Authorization.pk``
``status`` / ``use``           active / preauthorization
``type``                       claim-type ``institutional`` (an infusion centre's service)
``patient``                    ``Patient/{patient.pk}``
``created``                    ``decision_date``
``insurer.display``            ``payer``
``requestor``                  none; ``request`` none (the request is not served as a Claim)
``outcome``                    complete
``disposition``                "Approved", "Denied", "Approved, expired"
``preAuthRef``                 ``reference_number`` (when recorded)
``preAuthPeriod``              ``valid_from`` to ``valid_to``
``item[0]``                    ``itemSequence`` 1 (the order's course), ``adjudication``:
                               category adjudication ``benefit`` with ``value`` the approved
                               cycles (``reason.text`` "approved cycles") and again with the
                               approved grams (``reason.text`` "approved grams"); a denial's:
                               category ``denied`` (no value)
``insurance[0]``               sequence 1, focal, ``coverage`` ``Coverage/{id}``
``processNote[0].text``        "For MedicationRequest/{order.pk}"
=============================  ==============================================================
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import Model, Q, QuerySet
from fhir.resources.R4B.claimresponse import (
    ClaimResponse,
    ClaimResponseInsurance,
    ClaimResponseItem,
    ClaimResponseItemAdjudication,
    ClaimResponseProcessNote,
)
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference
from rest_framework.request import Request

from authorizations.models import Authorization, AuthorizationStatus
from authorizations.policies import can_read_authorizations
from interop.fhir import PatientDataEndpoint, SearchParameter
from interop.resources.observation import patient_q
from interop.resources.patient import id_q, patient_reference
from ivig.audit.services import access_record_ids

CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
DECIDED = (AuthorizationStatus.APPROVED, AuthorizationStatus.DENIED, AuthorizationStatus.EXPIRED)
DISPOSITION = {
    AuthorizationStatus.APPROVED: "Approved",
    AuthorizationStatus.DENIED: "Denied",
    AuthorizationStatus.EXPIRED: "Approved, expired",
}


def coverage_resource(authorization: Authorization) -> Coverage:
    return Coverage(
        id=str(authorization.pk),
        status="active",
        subscriberId=authorization.member_id,
        beneficiary=Reference(**patient_reference(authorization.patient)),
        payor=[Reference(display=authorization.payer)],
    )


def _adjudication(code: str, reason: str | None = None, value: Any = None) -> Any:
    return ClaimResponseItemAdjudication(
        category=CodeableConcept(coding=[Coding(system=ADJUDICATION, code=code)]),
        reason=CodeableConcept(text=reason) if reason else None,
        value=value,
    )


def _adjudications(authorization: Authorization) -> list[Any]:
    if authorization.status == AuthorizationStatus.DENIED:
        return [_adjudication("denied")]
    return [
        _adjudication("benefit", "approved cycles", authorization.approved_cycles),
        _adjudication("benefit", "approved grams", authorization.approved_grams),
    ]


def claim_response_resource(authorization: Authorization) -> ClaimResponse:
    period = None
    if authorization.valid_from or authorization.valid_to:
        period = Period(start=authorization.valid_from, end=authorization.valid_to)
    return ClaimResponse(
        id=str(authorization.pk),
        status="active",
        type=CodeableConcept(coding=[Coding(system=CLAIM_TYPE, code="institutional")]),
        use="preauthorization",
        patient=Reference(**patient_reference(authorization.patient)),
        created=authorization.decision_date,
        insurer=Reference(display=authorization.payer),
        outcome="complete",
        disposition=DISPOSITION[AuthorizationStatus(authorization.status)],
        preAuthRef=authorization.reference_number or None,
        preAuthPeriod=period,
        item=[ClaimResponseItem(itemSequence=1, adjudication=_adjudications(authorization))],
        insurance=[
            ClaimResponseInsurance(
                sequence=1,
                focal=True,
                coverage=Reference(reference=f"Coverage/{authorization.pk}"),
            )
        ],
        processNote=[
            ClaimResponseProcessNote(text=f"For MedicationRequest/{authorization.order_id}")
        ],
    )


def _patient_q(value: str) -> Q:
    return patient_q(value).by_source["lab"]


def disposition_q(value: str) -> Q:
    """string: the disposition ("Approved", "Denied", "Approved, expired") starts with the value,
    case-insensitive."""
    statuses = [s for s, text in DISPOSITION.items() if text.lower().startswith(value.lower())]
    return Q(status__in=statuses)


class AuthorizationEndpoint(PatientDataEndpoint):
    """Authorizations: whoever reads them on the pages (every role) reads them here."""

    policy = staticmethod(can_read_authorizations)

    def rows(self) -> QuerySet[Authorization]:
        return Authorization.objects.select_related("patient").order_by("pk")

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(
            request._request, "authorizations.authorization", [row.pk for row in rows]
        )
        access_record_ids(
            request._request,
            "orders.patient",
            [row.patient_id for row in rows],  # type: ignore[attr-defined]
        )


class CoverageEndpoint(AuthorizationEndpoint):
    resource_type = "Coverage"
    search_parameters = (
        SearchParameter("_id", "token", "The logical id (the authorization).", id_q, "1"),
        SearchParameter(
            "patient", "reference", "The beneficiary: Patient/{id} or {id}.", _patient_q, "1"
        ),
        SearchParameter("beneficiary", "reference", "As patient.", _patient_q, "Patient/1"),
    )

    def to_resource(self, row: Any) -> Coverage:
        return coverage_resource(row)


class ClaimResponseEndpoint(AuthorizationEndpoint):
    resource_type = "ClaimResponse"
    search_parameters = (
        SearchParameter("_id", "token", "The logical id (the authorization).", id_q, "1"),
        SearchParameter(
            "patient", "reference", "The patient: Patient/{id} or {id}.", _patient_q, "1"
        ),
        SearchParameter(
            "disposition",
            "string",
            "The decision: Approved, Denied, Approved, expired (starts with).",
            disposition_q,
            "approved",
        ),
    )

    def rows(self) -> QuerySet[Authorization]:
        return super().rows().filter(status__in=DECIDED)

    def to_resource(self, row: Any) -> ClaimResponse:
        return claim_response_resource(row)
