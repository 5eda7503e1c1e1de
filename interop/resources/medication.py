"""``Medication`` (FHIR R4) from the formulary's products.

=============================  ==============================================================
FHIR element                   source
=============================  ==============================================================
``id``                         ``formulary.Product.pk``
``code``                       ``hcpcs_code`` under ``HCPCS`` (when recorded); ``text``
                               ``brand_name`` (``generic_name``)
``status``                     active
``manufacturer.display``       ``manufacturer``
``form.text``                  ``form`` (liquid, lyophilized)
``ingredient[0]``              ``generic_name``, active; ``strength`` a ratio of
                               ``concentration_pct`` g per 100 mL (UCUM ``g`` / ``mL``)
=============================  ==============================================================
"""

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.medication import Medication, MedicationIngredient
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.ratio import Ratio
from fhir.resources.R4B.reference import Reference

from formulary.models import Product
from formulary.policies import can_read_formulary
from interop.fhir import ResourceEndpoint, SearchParameter
from interop.resources.observation import UCUM
from interop.resources.patient import id_q

HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


def product_name(product: Product) -> str:
    return f"{product.brand_name} ({product.generic_name})"


def medication_resource(product: Product) -> Medication:
    return Medication(
        id=str(product.pk),
        code=CodeableConcept(
            coding=[Coding(system=HCPCS, code=product.hcpcs_code)] if product.hcpcs_code else None,
            text=product_name(product),
        ),
        status="active" if product.active else "inactive",
        manufacturer=Reference(display=product.manufacturer),
        form=CodeableConcept(text=product.get_form_display()),
        ingredient=[
            MedicationIngredient(
                itemCodeableConcept=CodeableConcept(text=product.generic_name),
                isActive=True,
                strength=Ratio(
                    numerator=Quantity(
                        value=Decimal(product.concentration_pct), unit="g", system=UCUM, code="g"
                    ),
                    denominator=Quantity(value=Decimal(100), unit="mL", system=UCUM, code="mL"),
                ),
            )
        ],
    )


SEARCH_PARAMETERS = (SearchParameter("_id", "token", "The logical id.", id_q, "1"),)


class MedicationEndpoint(ResourceEndpoint):
    """The formulary's products: whoever reads the formulary reads them (no patient data, so
    nothing is read-logged)."""

    resource_type = "Medication"
    policy = staticmethod(can_read_formulary)
    search_parameters = SEARCH_PARAMETERS

    def rows(self) -> QuerySet[Product]:
        return Product.objects.order_by("pk")

    def to_resource(self, row: Any) -> Medication:
        return medication_resource(row)
