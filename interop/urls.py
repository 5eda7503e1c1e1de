"""Everything under ``/fhir/R4/`` (docs/fhir.md)."""

from django.urls import path, re_path

from interop.endpoints import ENDPOINTS
from interop.fhir import FhirView
from interop.inbound.transaction import TransactionEndpoint
from interop.resources.capability import MetadataEndpoint


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
