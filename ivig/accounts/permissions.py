"""Role checks for pages and API endpoints (docs/clinical-rules.md 1: every view checks the
role)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .models import User
from .roles import ROLE_PERMISSIONS, roles_of


def signed_in_user(request: HttpRequest | Request) -> User:
    """The acting user of a request that passed a role check (so never anonymous)."""
    assert isinstance(request.user, User)
    return request.user


# --- policies ---------------------------------------------------------------------------------
# Each app's ``policies.py`` has one function per permission (``can_sign(user, order)``), built on
# ``holds``: the role table ``ROLE_PERMISSIONS`` is what is checked. Pages, API and templates
# ask the same function.

Policy = Callable[..., bool]


def holds(user: Any, permission: str) -> bool:
    """Whether one of the user's roles is granted ``permission`` ("app_label.codename") in
    ``ROLE_PERMISSIONS``. Superusers administer users; they hold no clinical role by being one."""
    return any(permission in ROLE_PERMISSIONS[role] for role in roles_of(user))


def policy_required(
    policy: Policy,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Page decorator: sign-in first, then 403 unless ``policy(user)`` allows (the role part;
    a page that acts on one record asks the policy again with the record)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not policy(request.user):
                raise PermissionDenied("Your role may not open this page.")
            return view(request, *args, **kwargs)

        wrapper.policy = policy  # type: ignore[attr-defined]
        return wrapper

    return decorator


def api_policy(policy: Policy) -> type[BasePermission]:
    """DRF permission class asking ``policy(user)`` (authentication is checked first)."""

    class AllowedBy(BasePermission):
        message = "Your role may not use this endpoint."

        def has_permission(self, request: Request, view: Any) -> bool:
            return bool(request.user and request.user.is_authenticated) and policy(request.user)

    AllowedBy.__name__ = f"AllowedBy_{policy.__name__}"
    return AllowedBy


def api_read_write_policies(*, read: Policy, write: Policy) -> type[BasePermission]:
    """DRF permission: safe methods ask ``read(user)``, changes ask ``write(user)``."""
    reads, writes = api_policy(read), api_policy(write)

    class ReadWrite(BasePermission):
        message = "Your role may not use this endpoint."

        def has_permission(self, request: Request, view: Any) -> bool:
            allowed = reads if request.method in SAFE_METHODS else writes
            return allowed().has_permission(request, view)

    ReadWrite.__name__ = f"ReadWrite_{read.__name__}_{write.__name__}"
    return ReadWrite
