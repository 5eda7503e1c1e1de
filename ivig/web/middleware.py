"""Cross-cutting request and response rules (docs/api.md, Errors; docs/clinical-rules.md 1).

``RequestBoundsMiddleware`` answers before any view: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
is 413 (JSON under ``/api/``, a plain page elsewhere), a NUL character in the path, a query
parameter or a form field is 400 (PostgreSQL cannot store it: it would be a 500 at the save).
``NoStoreMiddleware`` marks every answer but static files ``Cache-Control: no-store``: patient
data must not stay in a browser's or a proxy's cache.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"
NUL = "\x00"
NUL_MESSAGE = "A NUL character is not allowed in the request."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = f"The request body is larger than {limit} bytes."
    if _is_api(request):
        return JsonResponse(
            {"code": "request_too_large", "detail": message, "field_errors": {}}, status=413
        )
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def bad_request(request: HttpRequest, message: str, field: str = "__all__") -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"code": "invalid", "detail": message, "field_errors": {field: [message]}},
            status=400,
        )
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _nul_field(pairs: dict[str, list[str]]) -> str | None:
    for key, values in pairs.items():
        if NUL in key or any(NUL in value for value in values if isinstance(value, str)):
            return key.replace(NUL, "")
    return None


class RequestBoundsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return bad_request(request, "The Content-Length header is not a number.")
        if limit is not None and length > limit:
            return too_large(request)
        if NUL in request.path:
            return bad_request(request, NUL_MESSAGE)
        field = _nul_field(dict(request.GET.lists()))
        if field is not None:
            return bad_request(request, NUL_MESSAGE, field)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                field = _nul_field(dict(request.POST.lists()))
            except RequestDataTooBig:
                return too_large(request)
            except TooManyFieldsSent:
                return bad_request(request, "The request has too many fields.")
            if field is not None:
                return bad_request(request, NUL_MESSAGE, field)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        return None


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every answer that is not a static file."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        static_url = "/" + settings.STATIC_URL.lstrip("/")
        if not request.path.startswith(static_url):
            patch_cache_control(response, no_store=True, private=True)
        return response
