"""The FHIR base without its trailing slash (``POST [base]`` as FHIR clients write it:
``/fhir/R4``), which would otherwise be a redirect a POST cannot follow (docs/fhir.md)."""

from django.urls import path

from interop.inbound.transaction import TransactionEndpoint

urlpatterns = [path("", TransactionEndpoint.as_view(), name="fhir-base")]
