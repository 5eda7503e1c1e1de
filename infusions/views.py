"""The nurses' pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ivig.accounts.permissions import role_required
from ivig.accounts.roles import Role


@role_required(Role.NURSE)
def schedule(request: HttpRequest) -> HttpResponse:
    return render(request, "infusions/schedule.html")
