"""The OpenAPI schema, generated once per process (a deploy starts new processes), not per request.

The schema depends only on the code: the URL configuration, the views and serializers. Its
generation walks every endpoint (hundreds of milliseconds); rendering it as YAML or JSON is not
free either. Both are kept per process, by API version, language and media type; signing in is
still checked on every request (``SERVE_PERMISSIONS``).
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    _schemas: ClassVar[dict[tuple[str | None, str | None], Any]] = {}
    _rendered: ClassVar[dict[tuple[str | None, str | None, str], tuple[bytes, str]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _key(self, request: Request) -> tuple[str | None, str | None]:
        version = self.api_version or request.version or self._get_version_parameter(request)
        return version, translation.get_language()

    def _get_schema_response(self, request: Request) -> Response:
        key = self._key(request)
        with self._lock:
            if key not in self._schemas:
                generator = self.generator_class(
                    urlconf=self.urlconf, api_version=key[0], patterns=self.patterns
                )
                self._schemas[key] = generator.get_schema(request=request, public=self.serve_public)
            schema = self._schemas[key]
        filename = self._get_filename(request, key[0])
        return Response(
            data=schema, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        media_type = getattr(response, "accepted_media_type", None)
        if not isinstance(response, Response) or response.status_code != 200 or not media_type:
            return response
        key = (*self._key(request), media_type)
        with self._lock:
            if key not in self._rendered:
                content = response.rendered_content
                self._rendered[key] = (content, response["Content-Type"])
            content, content_type = self._rendered[key]
        response.content = content  # rendered: Django does not render it again
        response["Content-Type"] = content_type
        return response
