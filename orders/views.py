"""Order pages: the clinician's orders, the pharmacist's queue, the authorization desk."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ivig.accounts.permissions import role_required
from ivig.accounts.roles import Role


@role_required(Role.CLINICIAN)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/home.html")


@role_required(Role.PHARMACIST)
def verification_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/verification_queue.html")


@role_required(Role.AUTHORIZATION_ADMIN)
def authorizations(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/authorizations.html")
