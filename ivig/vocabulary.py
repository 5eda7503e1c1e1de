"""The clinical vocabularies (sex, blood group, IgA status, risk factors, dosing-weight basis,
rate protocol) are the engine's: ``ivig.engine.models`` names them as ``Literal`` types. Django
choices add the words people read; ``same_values_as`` ties each one to its engine type, so the
two can never list different codes (the app refuses to start if they do)."""

from collections.abc import Callable
from typing import Any, TypeVar, get_args

from django.db import models

Choices = TypeVar("Choices", bound=type[models.TextChoices])


def same_values_as(literal: Any) -> Callable[[Choices], Choices]:
    """Class decorator for a ``TextChoices``: its values must be exactly ``literal``'s, in order."""
    engine_values = list(get_args(literal))

    def check(choices: Choices) -> Choices:
        values = [member.value for member in choices]
        if values != engine_values:
            raise TypeError(
                f"{choices.__name__} lists {values}, the engine {engine_values}: "
                "change both together."
            )
        return choices

    return check
