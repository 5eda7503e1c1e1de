"""What every API serializer that takes input shares (docs/api.md, Errors)."""

from typing import Any

from rest_framework import serializers


class RefuseUnknownFieldsMixin:
    """A field the endpoint does not know is refused (400, on that field), not silently
    dropped. Reported together with the other fields' errors, so a body with a misspelt
    field and a missing one names both."""

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
