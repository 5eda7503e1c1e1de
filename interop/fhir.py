"""What every FHIR endpoint shares (docs/fhir.md): the ``application/fhir+json`` renderer, errors
as ``OperationOutcome``, search parameters checked against what the resource supports, and the
paging ``Bundle`` (``_count`` at most 100, ``_offset``, ``self``/``next``/``previous`` links,
``total`` counted up to ``TOTAL_COUNTED`` matches unless ``_total`` asks otherwise).

Authentication and permissions are the API's (token or session; one policy per resource type);
reads of patient data join the API's one read-log row per request (``ivig.audit.reads``).
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from urllib.parse import urlencode

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.resource import Resource
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from interop.fhir_json import fhir_json
from ivig.accounts.permissions import Policy, api_policy
from ivig.api.pagination import MAX_OFFSET
from ivig.audit.reads import LogsPatientReadsMixin
from ivig.errors import DomainError

FHIR_JSON = "application/fhir+json"
# A page unless the client asks for more (HAPI FHIR's default too): each resource costs
# fhir.resources about half a millisecond to build and validate (its JSON is walked by
# ``interop.fhir_json``, a tenth of the library's own cost), so 20 keeps a search near the cost
# of a page (issue 21); up to ``MAX_COUNT`` when asked.
DEFAULT_COUNT = 20
MAX_COUNT = 100
# Parameters every search takes besides the resource's own.
PAGING_PARAMETERS = frozenset({"_count", "_offset", "_total"})
# ``Bundle.total`` (docs/fhir.md, "What is served"): the matches are counted up to this many, so
# that a page costs the same however many rows the centre holds; a search matching more states
# no total (its ``next`` link says more follow) unless ``_total=accurate`` asks for the count.
TOTAL_COUNTED = 1000
TOTAL_MODES = frozenset({"none", "estimate", "accurate"})
# ``_format`` values that mean the one format served (anything else is refused).
JSON_FORMATS = frozenset({"json", FHIR_JSON, "application/json"})


class FhirError(Exception):
    """A request the server refuses, answered as an ``OperationOutcome`` with ``status``."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


class FhirJSONRenderer(BaseRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class AlwaysFhirJSON(BaseContentNegotiation):
    """One format is served, whatever ``Accept`` says (FHIR clients send ``application/json``,
    ``application/fhir+json`` or ``*/*``): never a 406 in another shape."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def operation_outcome(
    code: str, message: str, severity: str = "error", expression: list[str] | None = None
) -> OperationOutcome:
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity=severity,
                code=code,
                details=CodeableConcept(text=message),
                expression=expression,
            )
        ]
    )


def resource_json(resource: Resource) -> dict[str, Any]:
    """The resource as FHIR JSON (validated when the model was built): the library's
    ``model_dump(mode="json")``, walked without its per-element cost (``interop.fhir_json``)."""
    return fhir_json(resource)


# DRF's exceptions as (issue type, message for people).
_DRF_ISSUES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.NotAuthenticated, "login"),
    (exceptions.AuthenticationFailed, "login"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "not-supported"),
    (exceptions.UnsupportedMediaType, "not-supported"),
    (exceptions.Throttled, "throttled"),
    (exceptions.ParseError, "structure"),
    (exceptions.ValidationError, "invalid"),
)


def outcome_response(exc: Exception) -> Response:
    """Any error of a FHIR view as an ``OperationOutcome`` with its HTTP status."""
    headers: dict[str, str] = {}
    if isinstance(exc, FhirError):
        status_code, code, message = exc.status_code, exc.code, exc.message
    elif isinstance(exc, DomainError):
        status_code = 409 if exc.code in DomainError.CONFLICTS else 400
        code, message = ("conflict" if status_code == 409 else "business-rule"), exc.message
    elif isinstance(exc, Http404):
        status_code, code, message = 404, "not-found", "No such resource."
    elif isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
        code = next((c for kind, c in _DRF_ISSUES if isinstance(exc, kind)), "processing")
        message = str(exc.detail) if not isinstance(exc.detail, dict | list) else "Invalid."
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = 'Token realm="fhir"'
    else:
        raise exc
    return Response(
        resource_json(operation_outcome(code, message)), status=status_code, headers=headers
    )


class FhirView(APIView):
    """Base of every FHIR endpoint: FHIR JSON in and out, errors as ``OperationOutcome``."""

    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = AlwaysFhirJSON
    # Described by its CapabilityStatement, not the API's OpenAPI schema.
    schema = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        fmt = request.query_params.get("_format")
        if fmt is not None and fmt not in JSON_FORMATS:
            raise FhirError(406, "not-supported", "Only JSON (application/fhir+json) is served.")
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        response = outcome_response(exc)
        if response.status_code == 401:
            # DRF's own step: the token scheme is announced on a 401 (as for the API).
            response["WWW-Authenticate"] = self.get_authenticate_header(self.request) or "Token"
        return response


# --- search ----------------------------------------------------------------------------------

ParameterFilter = Callable[[str], Any]


@dataclass(frozen=True)
class SearchParameter:
    """One supported search parameter: its FHIR type, what it searches, and the filter for one
    value, a ``Q`` or anything with ``&`` and ``|`` (comma-separated values are OR, repeated
    parameters AND)."""

    name: str
    type: str
    documentation: str
    to_q: ParameterFilter
    example: str  # a value the search accepts (tests walk every parameter with it)


def search_filter(
    request: Request, parameters: Sequence[SearchParameter], empty: Callable[[], Any] = Q
) -> Any:
    """The filter for the request's search parameters (``empty()`` matches everything); an
    unknown parameter or modifier is a 400 (a search silently widened by an ignored parameter
    would return other patients)."""
    by_name = {p.name: p for p in parameters}
    query = empty()
    for name in request.query_params:
        if name in PAGING_PARAMETERS or name == "_format":
            continue
        parameter = by_name.get(name)
        if parameter is None:
            supported = ", ".join(sorted(by_name)) or "none"
            raise FhirError(
                400,
                "not-supported",
                f"Search parameter {name!r} is not supported (supported: {supported}).",
            )
        for value in request.query_params.getlist(name):
            any_of = empty()
            values = [v for v in value.split(",") if v.strip()]
            if not values:
                raise FhirError(400, "invalid", f"Search parameter {name!r} has no value.")
            for one in values:
                any_of |= parameter.to_q(one.strip())
            query &= any_of
    return query


# Ids are the database's positive integers; anything longer can name no record (and would
# overflow the database's integer).
MAX_ID_DIGITS = 18


def record_id(value: str) -> int | None:
    """The record id a logical id names, or None (not ASCII digits, or too long to be one)."""
    if value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS:
        return int(value)
    return None


def _non_negative_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise FhirError(400, "invalid", f"{name} must be a whole number of 0 or more.")
    return int(raw)


def page_bounds(request: Request) -> tuple[int, int]:
    """(count, offset): ``_count`` defaults to 20 and is at most 100 (a larger one is served as
    100, which the ``self`` link states, as FHIR allows); ``_offset`` at most the API's
    ``MAX_OFFSET`` (a larger one is a 400, not a database error)."""
    count = min(_non_negative_int(request, "_count", DEFAULT_COUNT), MAX_COUNT)
    offset = _non_negative_int(request, "_offset", 0)
    if offset > MAX_OFFSET:
        raise FhirError(400, "invalid", f"_offset must be at most {MAX_OFFSET:,}.")
    return count, offset


def _page_url(request: Request, count: int, offset: int) -> str:
    params = [
        (k, v)
        for k, values in request.query_params.lists()
        if k not in PAGING_PARAMETERS
        for v in values
    ]
    params += [("_count", str(count)), ("_offset", str(offset))]
    return request.build_absolute_uri(request.path) + "?" + urlencode(params)


class Rows(Protocol):
    """What a search pages through: a queryset, or several chained (``ChainedRows``)."""

    def count(self) -> int: ...

    def __getitem__(self, bounds: slice) -> Any: ...


def count_up_to(rows: Rows, most: int) -> int:
    """How many ``rows`` there are, counting no further than ``most`` (a bounded query)."""
    if isinstance(rows, QuerySet):
        return rows.order_by()[:most].count()  # any ``most`` rows: no sort needed
    return rows.count_up_to(most)  # type: ignore[attr-defined]


def search_total(request: Request, rows: Rows, count: int) -> int | None:
    """``Bundle.total``: the matches counted up to ``TOTAL_COUNTED`` (None, unstated, beyond);
    ``_total=accurate``, or ``_count=0`` (the total is all that is asked), counts them all;
    ``_total=none`` counts nothing."""
    mode = request.query_params.get("_total", "estimate")
    if mode not in TOTAL_MODES:
        raise FhirError(400, "invalid", "_total must be none, estimate or accurate.")
    if mode == "none":
        return None
    if mode == "accurate" or count == 0:
        return rows.count()
    counted = count_up_to(rows, TOTAL_COUNTED + 1)
    return counted if counted <= TOTAL_COUNTED else None


# Every entry of a search is a match (no ``_include`` is served): one element, validated once.
MATCH = BundleEntrySearch(mode="match")


def searchset(
    request: Request,
    rows: Rows,
    to_resource: Callable[[Any], Resource],
    prepare: Callable[[Sequence[Any]], None] = lambda page: None,
) -> tuple[Bundle, list[Any]]:
    """One page of ``rows`` as a ``searchset`` Bundle, and the rows on it. One row past the
    page is read to know whether a ``next`` page follows, whatever the total says. ``prepare``
    is given the page's rows before any is mapped (to read what they share in bulk)."""
    count, offset = page_bounds(request)
    total = search_total(request, rows, count)
    page = list(rows[offset : offset + count + 1]) if count else []
    more, page = len(page) > count, page[:count]
    links = [BundleLink(relation="self", url=_page_url(request, count, offset))]
    if count and more:
        links.append(BundleLink(relation="next", url=_page_url(request, count, offset + count)))
    if count and offset > 0:
        previous = max(offset - count, 0)
        links.append(BundleLink(relation="previous", url=_page_url(request, count, previous)))
    base = request.build_absolute_uri(request.path).rstrip("/")
    prepare(page)
    entries = []
    for row in page:
        resource = to_resource(row)
        entries.append(
            BundleEntry(
                fullUrl=f"{base}/{resource.id}",
                resource=resource,
                search=MATCH,
            )
        )
    bundle = Bundle(type="searchset", total=total, link=links, entry=entries or None)
    return bundle, page


def get_or_404(rows: QuerySet[Any], resource_id: str, resource_type: str) -> Any:
    """The row of a logical id (our ids are whole numbers), or a 404 ``OperationOutcome``."""
    pk = record_id(resource_id)
    row = rows.filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise FhirError(404, "not-found", f"{resource_type}/{resource_id} is not known.")
    return row


class ResourceEndpoint(FhirView):
    """``GET [base]/{type}`` (search) and ``GET [base]/{type}/{id}`` (read) of one resource type,
    each read logged as the API's are. Subclasses set the type, the policy, the rows, the
    mapping and the search parameters, and note the patients a response shows."""

    resource_type: ClassVar[str]
    policy: ClassVar[Policy]
    search_parameters: ClassVar[Sequence[SearchParameter]] = ()

    def get_permissions(self) -> list[Any]:
        return [api_policy(type(self).policy)()]

    def rows(self) -> QuerySet[Any]:
        raise NotImplementedError

    def to_resource(self, row: Any) -> Resource:
        raise NotImplementedError

    def prepare(self, rows: Sequence[Any]) -> None:
        """Read in bulk what ``to_resource`` asks of each row of a search's page (nothing by
        default): a page's queries do not grow with its rows."""

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        """Note the patient records the response shows (``PatientDataEndpoint``)."""

    def read_row(self, resource_id: str) -> Any:
        return get_or_404(self.rows(), resource_id, self.resource_type)

    def search_rows(self, request: Request) -> Rows:
        return self.rows().filter(search_filter(request, self.search_parameters))

    def get(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is not None:
            if set(request.query_params) - {"_format"}:
                raise FhirError(400, "not-supported", "A read takes no search parameters.")
            row = self.read_row(resource_id)
            self.note_reads(request, [row])
            return Response(resource_json(self.to_resource(row)), status=status.HTTP_200_OK)
        bundle, page = searchset(request, self.search_rows(request), self.to_resource, self.prepare)
        self.note_reads(request, page)
        return Response(resource_json(bundle))


class PatientDataEndpoint(LogsPatientReadsMixin, ResourceEndpoint):
    """An endpoint serving patient data: each successful read writes the API's one read-log row
    naming the records ``note_reads`` noted."""

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        raise NotImplementedError
