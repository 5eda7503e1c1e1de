"""How forms draw a choice of chair."""

from django import forms


class ChairSelect(forms.Select):
    """A ``<select>`` drawn by one template with its options inline, the same HTML as Django's
    own: Django's draws each option through two included templates, and a centre's sixty chairs
    made that most of a form's drawing (the session page's move form, the booking page's days,
    a patient's times)."""

    template_name = "infusions/widgets/select.html"
