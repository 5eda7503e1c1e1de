"""The chair list of forms: ``ChairSelect`` draws what Django's own ``Select`` draws."""

from typing import Any

import pytest
from django import forms

from infusions.chairs.widgets import ChairSelect
from infusions.models import Chair
from tests.infusions.factories import ChairFactory

pytestmark = pytest.mark.django_db


def _form(widget: type[forms.Select], **options: Any) -> type[forms.Form]:
    return type(
        "ChairForm",
        (forms.Form,),
        {
            "chair": forms.ModelChoiceField(
                queryset=Chair.objects.filter(active=True).order_by("name"),
                widget=widget(attrs={"data-testid": "chair"}),
                **options,
            )
        },
    )


@pytest.mark.parametrize("options", [{}, {"required": False, "empty_label": "Any chair"}])
@pytest.mark.parametrize("chosen", [None, 1])
def test_chair_select_draws_what_djangos_select_draws(options, chosen):
    chairs = [ChairFactory.create(name=name) for name in ("Chair 1", 'Bay <2> & "east"', "Chair 3")]
    initial = {"chair": chairs[chosen]} if chosen is not None else {}
    ours = str(_form(ChairSelect, **options)(initial=initial)["chair"])
    djangos = str(_form(forms.Select, **options)(initial=initial)["chair"])
    assert ours == djangos
    assert "&lt;2&gt; &amp; &quot;east&quot;" in ours
    selected = chairs[chosen].pk if chosen is not None else ""
    assert f'<option value="{selected}" selected>' in ours
