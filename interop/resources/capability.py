"""``GET [base]/metadata``: the ``CapabilityStatement`` built from the endpoints themselves, so
it states exactly the resource types, interactions and search parameters served.

=====================================  ======================================================
FHIR element                           source
=====================================  ======================================================
``status`` / ``kind``                  active / instance
``date``                               the time of the request
``fhirVersion``                        4.0.1 (R4; resources validated with the R4B models of
                                       ``fhir.resources``, whose R4 subset is what is served)
``format``                             ``json`` and ``application/fhir+json``
``rest[0].security``                   the API's token (``Authorization: Token …``) or session
``rest[0].interaction``                ``transaction`` (``POST [base]``, ``interop.inbound.ingest``)
``rest[0].resource[]``                 each endpoint in ``interop.endpoints.ENDPOINTS``: ``type``,
                                       ``interaction`` read and search-type, ``searchParam``
                                       from its ``search_parameters`` (plus ``_count``,
                                       ``_offset``, ``_total``)
=====================================  ======================================================
"""

from collections.abc import Sequence

from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementImplementation,
    CapabilityStatementRest,
    CapabilityStatementRestInteraction,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestResourceSearchParam,
    CapabilityStatementRestSecurity,
    CapabilityStatementSoftware,
)
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from interop.endpoints import ENDPOINTS
from interop.fhir import (
    FHIR_JSON,
    MAX_COUNT,
    TOTAL_COUNTED,
    FhirView,
    ResourceEndpoint,
    resource_json,
)

FHIR_VERSION = "4.0.1"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
PAGING = (
    CapabilityStatementRestResourceSearchParam(
        name="_count", type="number", documentation=f"Entries per page, at most {MAX_COUNT}."
    ),
    CapabilityStatementRestResourceSearchParam(
        name="_offset", type="number", documentation="Entries skipped (the next link's)."
    ),
    CapabilityStatementRestResourceSearchParam(
        name="_total",
        type="token",
        documentation=(
            f"none, estimate (the default: total stated up to {TOTAL_COUNTED:,} matches) or "
            "accurate (always counted)."
        ),
    ),
)


def capability_statement(
    base_url: str, endpoints: Sequence[type[ResourceEndpoint]]
) -> CapabilityStatement:
    resources = [
        CapabilityStatementRestResource(
            type=endpoint.resource_type,
            interaction=[
                CapabilityStatementRestResourceInteraction(code="read"),
                CapabilityStatementRestResourceInteraction(code="search-type"),
            ],
            versioning="no-version",
            readHistory=False,
            updateCreate=False,
            searchParam=[
                *(
                    CapabilityStatementRestResourceSearchParam(
                        name=p.name, type=p.type, documentation=p.documentation
                    )
                    for p in endpoint.search_parameters
                ),
                *PAGING,
            ],
        )
        for endpoint in endpoints
    ]
    return CapabilityStatement(
        status="active",
        date=timezone.now(),
        kind="instance",
        fhirVersion=FHIR_VERSION,
        format=["json", FHIR_JSON],
        software=CapabilityStatementSoftware(name="IVIg orders and infusions"),
        implementation=CapabilityStatementImplementation(
            description="IVIg orders and infusions FHIR R4 server (read, search, transaction).",
            url=base_url,
        ),
        rest=[
            CapabilityStatementRest(
                mode="server",
                security=CapabilityStatementRestSecurity(
                    cors=False,
                    service=[
                        CodeableConcept(
                            coding=[Coding(system=SECURITY_SERVICE, code="Basic")],
                            text="Token (Authorization: Token <key>) or a signed-in session",
                        )
                    ],
                    description="The application's roles decide what each caller may read.",
                ),
                resource=resources,
                interaction=[
                    CapabilityStatementRestInteraction(
                        code="transaction",
                        documentation=(
                            "POST [base]: a transaction Bundle of Patient and Observation "
                            "creates (patients matched by MRN or created; labs, weights and "
                            "heights recorded), all or nothing."
                        ),
                    )
                ],
            )
        ],
    )


class MetadataEndpoint(FhirView):
    """The capability statement is public, as FHIR expects (it shows no patient data)."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri(request.path).removesuffix("metadata")
        return Response(resource_json(capability_statement(base, ENDPOINTS)))
