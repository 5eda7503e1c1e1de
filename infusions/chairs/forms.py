"""The chair form and its opening hours as text. It parses; the service decides (STYLE)."""

import re
from datetime import time
from itertools import pairwise
from typing import Any

from django import forms

from infusions.chairs.models import Chair, Weekday

# "08:00-18:00" or "08:00-12:00, 13:00-17:00" (an en or em dash, or "to", also separates).
WINDOW = re.compile(r"^\s*(\d{1,2}:\d{2})\s*(?:-|\u2013|\u2014|to)\s*(\d{1,2}:\d{2})\s*$")


def parse_windows(text: str) -> list[tuple[time, time]]:
    """A weekday's opening windows from text; blank: closed. Raises ``ValidationError``."""
    windows = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        match = WINDOW.match(part)
        try:
            if match is None:
                raise ValueError
            opens, closes = (time.fromisoformat(value.zfill(5)) for value in match.groups())
        except ValueError:
            raise forms.ValidationError(
                f"{part!r} is not an opening: write it as 08:00-18:00 (several: "
                "08:00-12:00, 13:00-17:00)."
            ) from None
        if closes <= opens:
            raise forms.ValidationError(f"{part}: a chair closes after it opens.")
        windows.append((opens, closes))
    windows.sort()
    for (_, closes), (opens, _) in pairwise(windows):
        if opens < closes:
            raise forms.ValidationError("The openings of one day cannot overlap.")
    return windows


def format_windows(windows: list[tuple[time, time]]) -> str:
    return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in windows)


class ChairForm(forms.Form):
    """A chair and its opening hours, one text field per weekday (the service saves them)."""

    name = forms.CharField(max_length=60)
    location = forms.CharField(max_length=120, required=False)
    active = forms.BooleanField(
        required=False, initial=True, help_text="Untick to stop booking this chair."
    )

    def __init__(self, *args: Any, chair: Chair | None = None, **kwargs: Any) -> None:
        if chair is not None and "initial" not in kwargs:
            by_day: dict[int, list[tuple[time, time]]] = {}
            for hours in chair.opening_hours.all():
                by_day.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
            kwargs["initial"] = {
                "name": chair.name,
                "location": chair.location,
                "active": chair.active,
                **{
                    f"hours_{day}": format_windows(sorted(windows))
                    for day, windows in by_day.items()
                },
            }
        super().__init__(*args, **kwargs)
        for day in Weekday:
            self.fields[f"hours_{day.value}"] = forms.CharField(
                label=day.label,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "closed"}),
            )
        self.fields["hours_0"].help_text = "For example 08:00-18:00; blank: closed."

    @property
    def chair_fields(self) -> list[Any]:
        return [self[name] for name in ("name", "location", "active")]

    @property
    def hour_fields(self) -> list[Any]:
        return [self[f"hours_{day.value}"] for day in Weekday]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        windows: dict[int, list[tuple[time, time]]] = {}
        for day in Weekday:
            name = f"hours_{day.value}"
            if name not in cleaned:
                continue
            try:
                windows[day.value] = parse_windows(cleaned[name])
            except forms.ValidationError as error:
                self.add_error(name, error)
        cleaned["windows"] = windows
        return cleaned
