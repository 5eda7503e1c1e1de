"""Demo patients (DESIGN 9), registered through the services by the demo clinician.

Idempotent by MRN: a second run adds nothing. Only when DEBUG, like the demo users.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from ivig.accounts.models import User

from .models import Patient
from .services import patient_create


def _years_ago(today: date, years: int, days: int = 0) -> date:
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born - timedelta(days=days)


def demo_patients(today: date) -> list[dict[str, Any]]:
    """Varied on purpose: each exercises a different dosing-weight or safety rule (DESIGN 3)."""
    return [
        {  # adult, BMI 37: adjusted body weight (DESIGN 3.1)
            "mrn": "DEMO-0001",
            "family_name": "Okafor",
            "given_name": "Grace",
            "date_of_birth": _years_ago(today, 52, 40),
            "sex": "female",
            "height_cm": Decimal("165"),
            "blood_group": "A",
            "iga_status": "normal",
            "risk_factors": ["migraine"],
            "allergies": "Penicillin (rash)",
            "notes": "Pemphigus vulgaris, on mycophenolate.",
            "weight_kg": Decimal("101.2"),
        },
        {  # child: actual weight
            "mrn": "DEMO-0002",
            "family_name": "Lindqvist",
            "given_name": "Elias",
            "date_of_birth": _years_ago(today, 4, 100),
            "sex": "male",
            "height_cm": Decimal("103"),
            "blood_group": "O",
            "iga_status": "normal",
            "notes": "Kawasaki disease.",
            "weight_kg": Decimal("16.4"),
        },
        {  # 70 years old with diabetes: renal and thrombosis risk by age (DESIGN 3.8)
            "mrn": "DEMO-0003",
            "family_name": "Moreau",
            "given_name": "Henri",
            "date_of_birth": _years_ago(today, 70, 15),
            "sex": "male",
            "height_cm": Decimal("176"),
            "blood_group": "B",
            "iga_status": "normal",
            "risk_factors": ["diabetes", "cardiac_disease"],
            "notes": "Bullous pemphigoid.",
            "weight_kg": Decimal("84"),
        },
        {  # IgA deficient with anti-IgA antibodies: low-IgA products only
            "mrn": "DEMO-0004",
            "family_name": "Haddad",
            "given_name": "Samir",
            "date_of_birth": _years_ago(today, 38, 200),
            "sex": "male",
            "height_cm": Decimal("181"),
            "blood_group": "AB",
            "iga_status": "deficient_with_antibodies",
            "notes": "Dermatomyositis. Anti-IgA antibodies documented.",
            "weight_kg": Decimal("77.5"),
        },
        {  # pregnant: actual weight, PREGNANCY note
            "mrn": "DEMO-0005",
            "family_name": "Nakamura",
            "given_name": "Yui",
            "date_of_birth": _years_ago(today, 31, 60),
            "sex": "female",
            "height_cm": Decimal("160"),
            "blood_group": "O",
            "iga_status": "normal",
            "pregnant": True,
            "notes": "Pemphigoid gestationis, 24 weeks.",
            "weight_kg": Decimal("68.3"),
        },
    ]


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo patients skipped: DEBUG is off"]
    clinician = User.objects.get(username="clinician")
    today = timezone.localdate()
    created = []
    for values in demo_patients(today):
        if Patient.objects.filter(mrn=values["mrn"]).exists():
            continue
        patient_create(by=clinician, weight_measured_on=today - timedelta(days=3), **values)
        created.append(values["mrn"])
    total = Patient.objects.filter(mrn__startswith="DEMO-").count()
    return [f"demo patients: {total} ({len(created)} new)"]
