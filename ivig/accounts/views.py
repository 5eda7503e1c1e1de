"""Landing: send each signed-in user to their role's page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .roles import LANDING_URL_NAMES, roles_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = roles_of(request.user)
    if roles:
        return redirect(LANDING_URL_NAMES[roles[0]])
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "accounts/no_role.html", status=403)
