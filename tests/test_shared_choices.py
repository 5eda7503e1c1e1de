"""Options read once and shared by several fields (``ivig.forms.SharedChoices``, issue 21)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from ivig.forms import SharedChoices
from orders.models import Indication

pytestmark = pytest.mark.django_db


def _plain(choices) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in choices]


def test_fields_sharing_options_show_django_s_own_options_from_one_query(
    django_assert_num_queries,
) -> None:
    own = forms.ModelChoiceField(queryset=Indication.objects.all())
    expected = _plain(own.choices)
    assert expected[0] == ("", "---------") and len(expected) > 2
    shared = SharedChoices()
    fields = [forms.ModelChoiceField(queryset=Indication.objects.all()) for _ in range(3)]
    for field in fields:
        shared.share(field)
    with django_assert_num_queries(1):
        drawn = [_plain(field.widget.choices) for field in fields]
    assert drawn == [expected] * 3


def test_a_field_sharing_options_still_validates_against_its_own_queryset() -> None:
    first, second = Indication.objects.order_by("pk")[:2]
    shared = SharedChoices()
    everything = forms.ModelChoiceField(queryset=Indication.objects.all())
    only_first = forms.ModelChoiceField(queryset=Indication.objects.filter(pk=first.pk))
    shared.share(everything)
    shared.share(only_first)
    assert str(second.pk) in dict(_plain(only_first.widget.choices))  # drawn from the shared
    assert only_first.clean(str(first.pk)) == first
    with pytest.raises(ValidationError):
        only_first.clean(str(second.pk))
