"""API root views that belong to no app."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ivig.accounts.roles import roles_of


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "roles": serializers.ListField(child=serializers.CharField()),
        },
    )
)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who is calling, and with which roles."""
    return Response(
        {
            "username": request.user.get_username(),
            "roles": [r.value for r in roles_of(request.user)],
        }
    )


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def not_found(request: Request, path: str = "") -> Response:
    """Any other path under ``/api/v1/`` (an id that is not a number, a misspelt route): the
    API's 404 in the one error shape, not Django's HTML page."""
    raise NotFound()
