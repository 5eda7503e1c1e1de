"""A model's constraints validated as Django does, its check constraints in one query when they
all hold (issue 21).

Django's ``Model.validate_constraints`` asks the database about each ``CheckConstraint`` with a
query of its own: the order form (its preview on the edit page, every save) asked eight. Here the
check constraints that apply (every field they name is validated) are asked together first: when
they all hold, that one query answers for them; when one fails (or the joint question cannot be
asked), each is asked on its own exactly as Django does, so each failure keeps its own message.
Together they hold only when each holds: ``Q.check`` passes a condition that is true (or, on
PostgreSQL, unknown), and a conjunction is true (or unknown) only when no part is false. (As in
Django, a condition the database cannot evaluate at all passes; the conditions here are plain
comparisons.)
"""

from collections.abc import Collection

from django.core.exceptions import FieldError, ValidationError
from django.db import models, router
from django.db.models import Q

__all__ = ["validate_constraints"]


def _checks_that_apply(
    instance: models.Model, exclude: Collection[str] | None
) -> tuple[list[models.CheckConstraint], dict[str, object]]:
    # What Django's own ``CheckConstraint.validate`` checks a condition against.
    against = instance._get_field_expression_map(  # type: ignore[attr-defined]
        meta=instance._meta, exclude=exclude
    )
    checks = [
        constraint
        for constraint in instance._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
        and Q(constraint.condition).referenced_base_fields <= against.keys()
    ]
    return checks, against


def _all_hold(checks: list[models.CheckConstraint], against: dict[str, object], using: str) -> bool:
    """Whether every one of ``checks`` holds, asked in one query (False when it cannot be told:
    each is then asked on its own)."""
    try:
        return Q(*[constraint.condition for constraint in checks]).check(against, using=using)
    except FieldError:
        return False


def validate_constraints(instance: models.Model, exclude: Collection[str] | None = None) -> None:
    """``Model.validate_constraints`` (the same errors), the check constraints that apply asked
    in one query when they all hold."""
    using = router.db_for_write(instance.__class__, instance=instance)
    checks, against = _checks_that_apply(instance, exclude)
    held = set(map(id, checks)) if len(checks) > 1 and _all_hold(checks, against, using) else set()
    errors: dict[str, list[ValidationError]] = {}
    for model_class, model_constraints in instance.get_constraints():
        for constraint in model_constraints:
            if id(constraint) in held:
                continue
            try:
                constraint.validate(  # type: ignore[attr-defined]
                    model_class, instance, exclude=exclude, using=using
                )
            except ValidationError as error:
                fields: tuple[str, ...] = tuple(getattr(constraint, "fields", ()))
                if getattr(error, "code", None) == "unique" and len(fields) == 1:
                    errors.setdefault(fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
