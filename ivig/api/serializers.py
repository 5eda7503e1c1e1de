"""What every API serializer that takes input shares (docs/api.md, Errors)."""

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from rest_framework import serializers

from ivig.numbers import INT_MAX


def bound_integers(fields: Any) -> Any:
    """Give every writable ``IntegerField`` of ``fields`` (and of list fields' items) without a
    narrower bound the ``integer`` column's range: 2147483648 is a 400 on its field, never a
    500 at the database (docs/api.md, Errors)."""
    for field in fields.values():
        target = field.child if isinstance(field, serializers.ListField) else field
        if not isinstance(target, serializers.IntegerField) or target.read_only:
            continue
        if target.max_value is None or target.max_value > INT_MAX:
            target.max_value = INT_MAX
            target.validators.append(MaxValueValidator(INT_MAX))
        if target.min_value is None or target.min_value < -INT_MAX - 1:
            target.min_value = -INT_MAX - 1
            target.validators.append(MinValueValidator(-INT_MAX - 1))
    return fields


class BoundedIntegersMixin:
    """Integers bounded to their column's range (``bound_integers``)."""

    def get_fields(self) -> Any:
        return bound_integers(super().get_fields())  # type: ignore[misc]


class RefuseUnknownFieldsMixin(BoundedIntegersMixin):
    """A field the endpoint does not know is refused (400, on that field), not silently
    dropped. Reported together with the other fields' errors, so a body with a misspelt
    field and a missing one names both. Integers are bounded (``BoundedIntegersMixin``)."""

    fields: Any
    initial_data: Any

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors: dict[str, Any] = {key: ["Unknown field."] for key in unknown}
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as error:
            if not errors:
                raise
            detail = (
                error.detail
                if isinstance(error.detail, dict)
                else {"non_field_errors": error.detail}
            )
            raise serializers.ValidationError({**detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value
