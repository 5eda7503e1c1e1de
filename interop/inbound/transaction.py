"""``POST [base]``: a transaction ``Bundle`` of ``Patient`` and ``Observation`` resources
(``interop.inbound.ingest``), answered by a ``transaction-response`` Bundle (docs/fhir.md, "In").

The body is read as JSON with numbers kept as decimals (never floats); ``NaN``/``Infinity``,
a malformed body and a body over the request bound are a 400/413 ``OperationOutcome``.
"""

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import IO, Any, cast

from django.core.exceptions import RequestDataTooBig
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntryResponse
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from interop.fhir import FHIR_JSON, FhirError, FhirView, resource_json
from interop.inbound.ingest import IngestRefused, ingest_bundle
from interop.policies import can_ingest_fhir
from ivig.accounts.models import User
from ivig.accounts.permissions import api_policy


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    """FHIR JSON with decimals as ``Decimal`` and ``NaN``/``Infinity`` refused."""
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


class FhirJSONParser(BaseParser):
    """JSON in, whatever the content type says (``application/fhir+json`` or
    ``application/json``)."""

    media_type = FHIR_JSON

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            raise ParseError("The body is empty: send a transaction Bundle.")
        try:
            return loads(stream.read())
        except RequestDataTooBig:
            raise
        except (ValueError, RecursionError) as error:
            raise ParseError(f"The body is not JSON: {str(error)[:120]}") from None


def refused_outcome(refused: IngestRefused) -> OperationOutcome:
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error",
                code=issue.code,
                details=CodeableConcept(text=f"{issue.expression}: {issue.message}"),
                expression=[issue.expression],
            )
            for issue in refused.issues
        ]
    )


class TransactionEndpoint(FhirView):
    """The base address: a transaction on POST; nothing to read on GET (a 404, as before)."""

    parser_classes = [FhirJSONParser]

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [api_policy(can_ingest_fhir)()]
        return list(super().get_permissions())

    def get(self, request: Request) -> Response:
        raise FhirError(404, "not-supported", "No such resource type or operation is served.")

    def post(self, request: Request) -> Response:
        try:
            data = request.data
        except RequestDataTooBig:
            raise FhirError(413, "too-costly", "The Bundle is too large: split it.") from None
        try:
            outcomes = ingest_bundle(data, by=cast(User, request.user))
        except IngestRefused as refused:
            return Response(resource_json(refused_outcome(refused)), status=400)
        bundle = Bundle(
            type="transaction-response",
            entry=[
                BundleEntry(response=BundleEntryResponse(status=o.status, location=o.location))
                for o in outcomes
            ],
        )
        return Response(resource_json(bundle), status=200)
