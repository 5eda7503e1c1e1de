"""Seed the laboratory catalogue (docs/clinical-rules.md 3.8.2).

The rows are frozen here: a later change of the catalogue is a new migration. Idempotent by
code. LOINC codes are given where confirmed; the autoantibody tests and anti-IgA antibodies have
local codes (``L-``) until the laboratory confirms the LOINC codes its export uses. Reference
ranges are typical adult values; the laboratory's report prevails. ``plausible`` bounds refuse
a typing error, nothing more.
"""

from decimal import Decimal

from django.db import migrations


def _d(text):
    return None if text is None else Decimal(text)


# code, analyte, name, kind, unit, reference low, reference high, plausible min, max, order
LAB_TESTS = (
    ("2160-0", "creatinine", "Creatinine", "quantitative", "mg/dL", "0.5", "1.2", "0.05", "30", 10),
    ("62238-1", "egfr", "eGFR (CKD-EPI)", "quantitative", "mL/min/1.73 m²", "60", None, "1", "200", 20),
    ("33914-3", "egfr", "eGFR (MDRD)", "quantitative", "mL/min/1.73 m²", "60", None, "1", "200", 21),
    ("718-7", "hemoglobin", "Hemoglobin", "quantitative", "g/dL", "12", "17.5", "2", "25", 30),
    ("2465-3", "igg", "IgG", "quantitative", "mg/dL", "700", "1600", "0", "10000", 40),
    ("2458-8", "iga", "IgA", "quantitative", "mg/dL", "70", "400", "0", "2000", 50),
    ("L-ANTI-IGA", "anti_iga", "Anti-IgA antibodies", "qualitative", "", None, None, None, None, 60),
    ("882-1", "abo_rh", "ABO and Rh group", "blood_group", "", None, None, None, None, 70),
    ("L-DSG1", "dsg1", "Anti-desmoglein 1", "quantitative", "U/mL", None, "20", "0", "10000", 80),
    ("L-DSG3", "dsg3", "Anti-desmoglein 3", "quantitative", "U/mL", None, "20", "0", "10000", 81),
    ("L-BP180", "bp180", "BP180 antibodies", "quantitative", "U/mL", None, "9", "0", "10000", 90),
    ("L-BP230", "bp230", "BP230 antibodies", "quantitative", "U/mL", None, "9", "0", "10000", 91),
)  # fmt: skip


def seed(apps, schema_editor):
    LabTest = apps.get_model("orders", "LabTest")
    for code, analyte, name, kind, unit, low, high, pmin, pmax, order in LAB_TESTS:
        LabTest.objects.update_or_create(
            code=code,
            defaults={
                "analyte": analyte,
                "name": name,
                "kind": kind,
                "unit": unit,
                "reference_low": _d(low),
                "reference_high": _d(high),
                "plausible_min": _d(pmin),
                "plausible_max": _d(pmax),
                "display_order": order,
            },
        )


def unseed(apps, schema_editor):
    LabTest = apps.get_model("orders", "LabTest")
    LabTest.objects.filter(code__in=[row[0] for row in LAB_TESTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0011_lab_tests_and_results"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
