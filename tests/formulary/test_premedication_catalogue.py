"""The premedication catalogue the pharmacist keeps (docs/clinical-rules.md 3.5): the seed, the
engine's reading of it, who may change it, its page and its audit trail."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from formulary import policies
from formulary.engine_inputs import premedication_drug_facts
from formulary.premedication import services
from formulary.premedication.models import PremedicationDrug
from formulary.services import FormularyError
from ivig.accounts.models import User
from ivig.accounts.roles import Role
from ivig.engine import DEFAULT_PREMEDICATION_DRUGS

pytestmark = pytest.mark.django_db

CATALOGUE = reverse("formulary:premedication")
CREATE = reverse("formulary:premedication-create")


def edit(slug: str) -> str:
    return reverse("formulary:premedication-edit", args=[slug])


def test_the_seed_holds_the_five_drugs_in_order() -> None:
    assert list(PremedicationDrug.objects.values_list("slug", flat=True)) == [
        "diphenhydramine",
        "cetirizine",
        "acetaminophen",
        "hydrocortisone",
        "methylprednisolone",
    ]


def test_the_seeded_diphenhydramine_and_acetaminophen_are_the_engines_rows() -> None:
    # docs/clinical-rules.md 3.5: 25 mg, 1 mg/kg up to 1.25 mg/kg; 500 mg, 15 mg/kg up to 15 mg/kg.
    for facts in DEFAULT_PREMEDICATION_DRUGS:
        seeded = premedication_drug_facts(PremedicationDrug.objects.get(slug=facts.slug))
        assert seeded == facts


def test_only_pharmacists_may_change_the_catalogue(users_by_role) -> None:
    allowed = {
        role
        for role, user in users_by_role.items()
        if policies.can_change_premedication_catalogue(user)
    }
    assert allowed == {Role.PHARMACIST}


def test_every_role_reads_the_catalogue_page(users_by_role, client_for) -> None:
    for user in users_by_role.values():
        page = client_for(user).get(CATALOGUE)
        assert page.status_code == 200
        assert "Diphenhydramine" in page.content.decode()
        assert "1.25 mg/kg" in page.content.decode()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.NURSE, Role.AUTHORIZATION_ADMIN])
def test_other_roles_may_not_add_or_edit(role, make_user, client_for) -> None:
    client = client_for(make_user("someone", role))
    assert client.get(CREATE).status_code == 403
    assert client.post(edit("cetirizine"), {"name": "X"}).status_code == 403


def form_data(**fields: str) -> dict[str, str]:
    data = {
        "slug": "ondansetron",
        "name": "Ondansetron",
        "adult_dose": "4",
        "dose_unit": "mg",
        "route": "IV",
        "child_dose_mg_per_kg": "0.1",
        "child_max_mg_per_kg": "0.15",
        "position": "6",
    }
    data.update(fields)
    return data


def test_a_pharmacist_adds_a_drug_and_it_is_audited(pharmacist: User, client_for) -> None:
    response = client_for(pharmacist).post(CREATE, form_data())
    assert response.status_code == 302
    drug = PremedicationDrug.objects.get(slug="ondansetron")
    assert drug.adult_dose == Decimal(4)
    record = drug.history.get()
    assert record.history_user == pharmacist
    page = client_for(pharmacist).get(CATALOGUE).content.decode()
    assert "Ondansetron" in page


def test_a_childrens_dose_above_the_maximum_is_a_field_error(pharmacist: User, client_for) -> None:
    response = client_for(pharmacist).post(
        CREATE, form_data(child_dose_mg_per_kg="0.2", child_max_mg_per_kg="0.15")
    )
    assert response.status_code == 200
    assert "above the children" in response.content.decode()
    assert not PremedicationDrug.objects.filter(slug="ondansetron").exists()


def test_a_duplicate_slug_is_refused_in_words(pharmacist: User, client_for) -> None:
    response = client_for(pharmacist).post(CREATE, form_data(slug="cetirizine"))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_bad_numbers_are_field_errors_not_500(pharmacist: User, client_for) -> None:
    response = client_for(pharmacist).post(CREATE, form_data(adult_dose="-1", route="XX"))
    assert response.status_code == 200
    assert not PremedicationDrug.objects.filter(slug="ondansetron").exists()


def test_a_pharmacist_edits_a_dose_and_the_history_shows_before_and_after(
    pharmacist: User, client_for
) -> None:
    client = client_for(pharmacist)
    data = form_data(name="Cetirizine", adult_dose="5", route="PO", position="2")
    data.update(child_dose_mg_per_kg="", child_max_mg_per_kg="")
    assert client.post(edit("cetirizine"), data).status_code == 302
    drug = PremedicationDrug.objects.get(slug="cetirizine")
    assert drug.adult_dose == Decimal(5)
    assert drug.history.first().history_user == pharmacist
    page = client.get(CATALOGUE).content.decode()
    assert "History" in page


def test_the_service_refuses_a_childrens_dose_above_the_maximum(pharmacist: User) -> None:
    drug = PremedicationDrug.objects.get(slug="diphenhydramine")
    with pytest.raises(FormularyError) as refused:
        services.premedication_drug_update(
            user=pharmacist, drug=drug, fields={"child_dose_mg_per_kg": Decimal("1.5")}
        )
    assert refused.value.code == "child_dose_above_maximum"


def test_a_drug_is_deactivated_with_a_reason_never_deleted(pharmacist: User, client_for) -> None:
    client = client_for(pharmacist)
    url = reverse("formulary:premedication-set-active", args=["hydrocortisone"])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "not stocked"}).status_code == 302
    drug = PremedicationDrug.objects.get(slug="hydrocortisone")
    assert not drug.active
    assert drug.history.first().history_change_reason == "not stocked"


def test_the_catalogue_page_reads_in_a_fixed_number_of_queries(
    pharmacist: User, client: Client, django_assert_max_num_queries
) -> None:
    client.force_login(pharmacist)
    client.get(CATALOGUE)
    with django_assert_max_num_queries(8):
        assert client.get(CATALOGUE).status_code == 200
