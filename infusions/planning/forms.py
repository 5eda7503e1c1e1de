"""Forms of the planner's pages (docs/planner.md). They parse; the services decide (STYLE)."""

from datetime import datetime
from typing import Any

from django import forms

from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role
from ivig.dates import VIEW, BoundedDateField

from ..chairs.widgets import ChairSelect
from ..models import Chair
from .problem import Move


class ShiftForm(forms.Form):
    nurse = forms.ModelChoiceField(
        queryset=User.objects.filter(groups__name=GROUP_NAMES[Role.NURSE], is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    day = BoundedDateField(window=VIEW, widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.TimeField(label="Starts", widget=forms.TimeInput(attrs={"type": "time"}))
    ends_at = forms.TimeField(label="Ends", widget=forms.TimeInput(attrs={"type": "time"}))
    break_starts_at = forms.TimeField(
        label="Break from", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    break_ends_at = forms.TimeField(
        label="Break to", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("break_starts_at")) != bool(data.get("break_ends_at")):
            raise forms.ValidationError("Give a break its start and its end, or neither.")
        return data


class PolicyForm(forms.Form):
    patients_per_nurse = forms.IntegerField(min_value=1, max_value=12)
    titrations_per_nurse = forms.IntegerField(
        min_value=1, max_value=12, label="Patients in titration per nurse"
    )


def move_key(session_id: int, chair_id: int, start: datetime, version: int) -> str:
    """One suggested move as a checkbox value."""
    return f"{session_id}|{chair_id}|{start.isoformat()}|{version}"


class AcceptForm(forms.Form):
    """The moves of a suggestion the nurse keeps (each a ``move_key``)."""

    moves = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["moves"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(key, key) for key in keys]

    def chosen(self) -> list[Move]:
        moves = []
        for key in self.cleaned_data["moves"]:
            session_id, chair_id, start, version = key.split("|")
            moves.append(
                Move(int(session_id), int(chair_id), datetime.fromisoformat(start), int(version))
            )
        return moves


def _clock(label: str) -> forms.TimeField:
    return forms.TimeField(
        required=False,
        label=label,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class PatientTimesForm(forms.Form):
    """A patient's time window (hard) and preferred start range and chair (kept when
    possible), docs/planner.md. The service checks how they fit together."""

    earliest_start = _clock("Earliest start")
    latest_end = _clock("Latest end")
    preferred_start_from = _clock("Preferred start from")
    preferred_start_to = _clock("Preferred start to")
    preferred_chair = forms.ModelChoiceField(
        queryset=Chair.objects.filter(active=True),
        required=False,
        empty_label="No preference",
        widget=ChairSelect,
    )
