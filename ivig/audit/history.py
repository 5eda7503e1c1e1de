"""Reading django-simple-history records as people read an audit trail: who, when, what, and
each field before and after (docs/architecture.md: every change is audited).

``history_entries`` turns the history records of one model (any number of rows) into entries;
an app names each entry's subject and may give labels for coded values.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db import models
from django.utils import timezone

from ivig.templatetags.clinical import num, person


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    """One audited change: who, when, to what, and each field before and after."""

    when: datetime
    who: Any
    subject: str
    action: str  # "created", "changed", "deleted"
    reason: str | None
    changes: list[FieldChange] = field(default_factory=list)


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Identity and bookkeeping: not listed as changes.
QUIET_FIELDS = frozenset({"id", "version", "created_by", "created_at", "updated_at"})


def shown(value: Any, labels: Mapping[Any, str] | None = None) -> str:
    """A field value as people read it; ``labels`` name coded values (choices)."""
    labels = labels or {}
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal | int):
        return num(value)
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return person(value)
    if isinstance(value, list):
        return ", ".join(labels.get(item, str(item)) for item in value) or "—"
    return labels.get(value, str(value))


@dataclass(frozen=True)
class _FieldReader:
    """How one model's fields read in the history: their labels, the labels of coded values, and
    the rows its foreign keys point at (fetched once for every record)."""

    labels: Mapping[str, str]
    coded: Mapping[str, Mapping[Any, str]]
    relations: Mapping[str, Any]
    rows: Mapping[str, Mapping[Any, Any]]

    def resolved(self, name: str, value: Any) -> Any:
        if name in self.relations and value is not None and not isinstance(value, models.Model):
            return self.rows[name].get(value, value)
        return value

    def change(self, name: str, before: Any, after: Any) -> FieldChange:
        return FieldChange(
            self.labels[name],
            shown(self.resolved(name, before), self.coded.get(name)),
            shown(self.resolved(name, after), self.coded.get(name)),
        )


def _related_rows(ordered: list[Any], relations: Mapping[str, Any]) -> dict[str, dict[Any, Any]]:
    """Foreign keys: a change holds the ids; people read the row (a user's name), fetched once."""
    wanted: dict[str, set[Any]] = {name: set() for name in relations}
    for record in ordered:
        for name in relations:
            key = getattr(record, f"{name}_id", None)
            if key is not None:
                wanted[name].add(key)
    return {
        name: relations[name]._default_manager.in_bulk(list(keys)) if keys else {}
        for name, keys in wanted.items()
    }


def _field_reader(
    model: type[models.Model],
    ordered: list[Any],
    quiet_fields: Iterable[str],
    value_labels: Mapping[str, Mapping[Any, str]] | None,
) -> _FieldReader:
    quiet = QUIET_FIELDS | set(quiet_fields)
    fields = [f for f in model._meta.concrete_fields if f.name not in quiet]
    coded: dict[str, Mapping[Any, str]] = {f.name: dict(f.flatchoices) for f in fields if f.choices}
    coded.update(value_labels or {})
    relations: dict[str, Any] = {f.name: f.related_model for f in fields if f.many_to_one}
    return _FieldReader(
        labels={f.name: str(f.verbose_name) for f in fields},
        coded=coded,
        relations=relations,
        rows=_related_rows(ordered, relations),
    )


def _changes_from(
    reader: _FieldReader, record: Any, before: Any, compared: Iterable[str]
) -> list[FieldChange]:
    """A row made from another: the compared fields that differ, each with its value before."""
    return [
        reader.change(name, *pair)
        for name in compared
        if name in reader.labels
        for pair in [
            (_value(before, name, reader.relations), _value(record, name, reader.relations))
        ]
        if pair[0] != pair[1]
    ]


def _record_changes(
    reader: _FieldReader,
    record: Any,
    previous: Any,
    predecessor: Callable[[Any], tuple[Any, Iterable[str]] | None] | None,
    list_created_values: bool,
) -> list[FieldChange]:
    """The field changes one history record lists (see ``history_entries``)."""
    if record.history_type == "~" and previous is not None:
        delta = record.diff_against(previous, included_fields=list(reader.labels))
        return [reader.change(c.field, c.old, c.new) for c in delta.changes]
    if record.history_type == "+" and predecessor and (made := predecessor(record)):
        return _changes_from(reader, record, *made)
    if record.history_type == "+" and list_created_values:
        # A new row's values; an empty field has nothing to say ("— → —").
        return [
            reader.change(name, None, value)
            for name in reader.labels
            if (value := _value(record, name, reader.relations)) not in (None, "", [])
        ]
    return []


def history_entries(
    records: Iterable[Any],
    model: type[models.Model],
    subject: Callable[[Any], str],
    *,
    quiet_fields: Iterable[str] = (),
    value_labels: Mapping[str, Mapping[Any, str]] | None = None,
    list_created_values: bool = True,
    predecessor: Callable[[Any], tuple[Any, Iterable[str]] | None] | None = None,
) -> list[HistoryEntry]:
    """History records of ``model`` as entries, in record order per row.

    A change lists each field that changed; a creation lists the new row's values unless
    ``list_created_values`` is False. Fields with choices show their labels. A row made from
    another (a new version of an order): ``predecessor`` gives, for its creation record, the
    other row's record then and the fields to compare, and the creation lists only those that
    differ, each with its real value before (never "—" for every field).
    """
    ordered = sorted(records, key=lambda r: (r.id, r.history_date, r.history_id))
    reader = _field_reader(model, ordered, quiet_fields, value_labels)
    entries: list[HistoryEntry] = []
    for _row_id, row_records in groupby(ordered, key=lambda r: r.id):
        previous = None
        for record in row_records:
            entries.append(
                HistoryEntry(
                    when=record.history_date,
                    who=record.history_user,
                    subject=subject(record),
                    action=ACTIONS[record.history_type],
                    reason=record.history_change_reason,
                    changes=_record_changes(
                        reader, record, previous, predecessor, list_created_values
                    ),
                )
            )
            previous = record
    return entries


def _value(record: Any, name: str, relations: Mapping[str, Any]) -> Any:
    return getattr(record, f"{name}_id" if name in relations else name)


def newest_first(entries: Iterable[HistoryEntry]) -> list[HistoryEntry]:
    return sorted(entries, key=lambda entry: entry.when, reverse=True)
