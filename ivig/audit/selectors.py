"""Reading the read log (docs/clinical-rules.md 1): who read a record, whether a row names it
in its own ``records`` or through the record set it points to (a calendar feed's)."""

from django.db.models import Q, QuerySet

from .models import AccessLog


def reads_of(subject_type: str, pk: object) -> QuerySet[AccessLog]:
    """Every read-log row that showed record ``pk`` of ``subject_type`` (e.g.
    ``"orders.patient"``), newest first. Ids are kept as JSON strings, so ``"7"`` with its
    quotes, looked for in the type's list as text, matches 7 and never 17 or 70 (text, as
    SQLite has no JSON containment; an audit question, not a page's query)."""
    quoted = f'"{pk}"'
    return AccessLog.objects.filter(
        Q(subject_type=subject_type, subject_id=str(pk))
        | Q(**{f"records__{subject_type}__icontains": quoted})
        | Q(**{f"record_set__records__{subject_type}__icontains": quoted})
    ).select_related("user")
