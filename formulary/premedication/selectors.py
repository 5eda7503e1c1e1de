"""Reads of the premedication catalogue (docs/clinical-rules.md 3.5)."""

from django.db.models import QuerySet

from ivig.audit.history import HistoryEntry, history_entries, newest_first

from .models import PremedicationDrug


def premedication_drugs(*, active_only: bool = False) -> QuerySet[PremedicationDrug]:
    """The catalogue in its order (position, then name)."""
    drugs = PremedicationDrug.objects.all()
    return drugs.filter(active=True) if active_only else drugs


def catalogue_history() -> list[HistoryEntry]:
    """Every audited change to the catalogue, newest first: one query, however long."""
    records = PremedicationDrug.history.select_related("history_user")
    return newest_first(history_entries(records, PremedicationDrug, lambda record: record.name))
