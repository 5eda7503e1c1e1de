"""One way to log reads of patient data, once per request (docs/clinical-rules.md 1).

- API: ``LogsPatientReadsMixin`` first in a DRF view's bases. After a successful GET it writes
  one ``AccessLog`` row naming every record the answer returned: the ids in the serialized
  data (a list, a page of ``results`` or one record) of the view's model, the records the view
  noted with ``access_record``, or else the records named in the address (``pk``,
  ``order_id``, ``patient_id``).
- Pages: ``@logs_patient_reads("orders.patient")`` on a view function. After a successful GET
  it writes one row with what the view noted (``access_record``/``access_records``, e.g. a
  search's patients) or else the record named by the address's ``pk``.

- The admin: ``LogsAdminReadsMixin`` on a ``ModelAdmin`` of patient data (its list, change
  and history pages).
- Calendar feeds (opened by a token, not a sign-in): ``record_set_of`` once, when the feed is
  built, then ``write_record_set_read_log(..., user=feed_user)`` at each read: the row names
  the stored set (``subject_type`` ``audit.recordset``) rather than copying 15,000 ids each
  time a calendar app asks again.

All set ``logs_patient_reads = True`` on the view, which tests/test_patient_reads_logged.py
requires of every view serving patient data. A request that showed no record writes no row.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from .models import AccessLog, RecordSet

READ_METHODS = frozenset({"GET", "HEAD"})
# Address keywords naming a record of another type than the view's own.
KWARG_TYPES = {"patient_id": "orders.patient", "order_id": "orders.order"}
COLLECTOR = "_patient_reads"
# The ``subject_type`` of a row that names its records through a ``RecordSet``.
RECORD_SET = "audit.recordset"


class ReadCollector:
    """The records one request read, by type, in the order first read."""

    def __init__(self) -> None:
        # An insertion-ordered dict per type (a set that keeps order): a feed adds 15,000 ids,
        # and asking a list whether it holds an id made that quadratic.
        self._seen: dict[str, dict[str, None]] = {}

    @property
    def records(self) -> dict[str, list[str]]:
        """Each type's ids as strings, each once, in the order first read."""
        return {kind: list(ids) for kind, ids in self._seen.items()}

    def add(self, subject_type: str, ids: Iterable[Any]) -> None:
        seen = self._seen.setdefault(subject_type, {})
        for pk in ids:
            if pk is not None:
                seen.setdefault(str(pk), None)

    def add_objects(self, objects: Iterable[models.Model]) -> None:
        for obj in objects:
            self.add(obj._meta.label_lower, [obj.pk])


def collector_of(request: HttpRequest) -> ReadCollector | None:
    return getattr(request, COLLECTOR, None)


def _client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def write_read_log(
    request: HttpRequest, collector: ReadCollector, *, user: Any = None
) -> AccessLog | None:
    """One row for the request, by ``user`` (default: the signed-in user); nothing for an
    anonymous caller, nothing when no record was shown."""
    user = user or request.user
    if not user.is_authenticated:
        return None
    records = _shown(collector)
    if not records:
        return None
    first_type = next(iter(records), "")
    single = bool(first_type) and len(records[first_type]) == 1
    return AccessLog.objects.create(
        user=user,
        subject_type=first_type[:50],
        subject_id=records[first_type][0][:64] if single else "",
        path=request.get_full_path()[:500],
        ip_address=_client_address(request),
        records=records,
    )


def _shown(collector: ReadCollector) -> dict[str, list[str]]:
    return {kind: ids for kind, ids in collector.records.items() if ids}


def record_set_of(collector: ReadCollector) -> RecordSet | None:
    """The stored set of the records ``collector`` names (the same row whenever the same
    records are shown again), or None when it names none."""
    records = _shown(collector)
    if not records:
        return None
    digest = hashlib.sha256(json.dumps(records, separators=(",", ":")).encode()).hexdigest()
    record_set, _ = RecordSet.objects.get_or_create(digest=digest, defaults={"records": records})
    return record_set


def write_record_set_read_log(
    request: HttpRequest, record_set_id: int | None, *, user: Any
) -> AccessLog | None:
    """One row for the request by ``user`` naming the record set ``record_set_id`` (its records
    stay in the set, not copied); nothing for an anonymous caller or no set."""
    if record_set_id is None or not user.is_authenticated:
        return None
    return AccessLog.objects.create(
        user=user,
        subject_type=RECORD_SET,
        subject_id=str(record_set_id),
        path=request.get_full_path()[:500],
        ip_address=_client_address(request),
        record_set_id=record_set_id,
    )


def _is_logged_read(request: HttpRequest, status_code: int) -> bool:
    return (
        request.method in READ_METHODS
        and 200 <= status_code < 300
        and request.user.is_authenticated
    )


def logs_patient_reads(
    subject_type: str | None = None, *, kwarg: str = "pk"
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Page decorator: log the request's reads once (see the module's docstring)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            collector = ReadCollector()
            setattr(request, COLLECTOR, collector)
            try:
                response = view(request, *args, **kwargs)
            finally:
                delattr(request, COLLECTOR)
            if _is_logged_read(request, response.status_code):
                if not collector.records and subject_type and kwarg in kwargs:
                    collector.add(subject_type, [kwargs[kwarg]])
                write_read_log(request, collector)
            return response

        wrapper.logs_patient_reads = True  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _ids_in(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    if isinstance(data, list):
        return [item["id"] for item in data if isinstance(item, dict) and "id" in item]
    if isinstance(data, dict) and "id" in data:
        return [data["id"]]
    return []


def _model_label(view: Any) -> str | None:
    serializer_class = getattr(view, "serializer_class", None)
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    return model._meta.label_lower if model is not None else None


class LogsPatientReadsMixin:
    """DRF view mixin: log the request's reads once (see the module's docstring)."""

    logs_patient_reads = True

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        setattr(request._request, COLLECTOR, ReadCollector())
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        http_request = getattr(request, "_request", request)
        collector = collector_of(http_request)
        if collector is None or not _is_logged_read(http_request, response.status_code):
            return response
        label = _model_label(self)
        ids = _ids_in(getattr(response, "data", None))
        if ids and label and getattr(self, "action", None) in (None, "list", "retrieve"):
            collector.add(label, ids)
        if not collector.records:
            for name, value in kwargs.items():
                kind = KWARG_TYPES.get(name) or (label if name == "pk" else None)
                if kind:
                    collector.add(kind, [value])
        write_read_log(http_request, collector)
        delattr(http_request, COLLECTOR)
        return response


class LogsAdminReadsMixin:
    """``ModelAdmin`` mixin: the admin's list, change and history pages log the records they
    showed, once per request (as the app's pages do)."""

    logs_patient_reads = True

    def _log(self, request: HttpRequest, response: Any, ids: Iterable[Any]) -> Any:
        if _is_logged_read(request, response.status_code):
            collector = ReadCollector()
            collector.add(self.model._meta.label_lower, ids)  # type: ignore[attr-defined]
            write_read_log(request, collector)
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        shown = [obj.pk for obj in changelist.result_list] if changelist is not None else []
        return self._log(request, response, shown)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        return self._log(request, response, [object_id])

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        response = super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        return self._log(request, response, [object_id])

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        response = super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context
        )
        return self._log(request, response, [object_id])
