"""Laboratory results: recording and the CSV import (docs/clinical-rules.md 3.8.2); the trends
and the results the rules read are ``orders.labs.selectors``.

Clinicians and nurses record results (the page form, ``POST /api/v1/patients/<id>/labs/``) or
import a laboratory export. Every value is checked against its test: a number within the
test's plausible bounds and in the test's own unit (no unit is converted: a result in another
unit is refused), a qualitative result ``positive`` or ``negative``, a blood group such as
``A+`` or ``O NEG``. A result already recorded (same patient, test, day and value) is a
duplicate: ignored, never stored twice.

The import is all or nothing [Project]: every row is checked first; when any row is refused,
nothing is imported and the report lists every refused row with its reason; otherwise every
new row is saved in one transaction, duplicates are skipped and counted.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from ivig.accounts.models import User
from ivig.dates import LAB_TAKEN_ON
from ivig.numbers import clip
from orders.errors import OrderError
from orders.patients.models import Patient

from .models import LabKind, LabResult, LabSource, LabTest

# A stored value has at most 7 whole digits and 3 decimals (``LabResult.value``).
VALUE_WHOLE_DIGITS = 7
# Smaller than 1e-20 is no result anyone measured (and not worth writing out in a message).
VALUE_SMALLEST_EXPONENT = -20
IMPORT_COLUMNS = ("mrn", "loinc", "taken_on", "value", "unit")
QUALITATIVE_WORDS = {
    "positive": "positive",
    "pos": "positive",
    "detected": "positive",
    "negative": "negative",
    "neg": "negative",
    "not detected": "negative",
}
_ABO = re.compile(r"^\s*(AB|A|B|O)\s*(?:RH)?\s*(\+|-|POS|NEG|POSITIVE|NEGATIVE)\s*$", re.IGNORECASE)


class LabError(OrderError):
    """A laboratory result refused (HTTP 400)."""

    IMPLAUSIBLE: ClassVar[str] = "implausible_lab_value"
    WRONG_UNIT: ClassVar[str] = "wrong_lab_unit"
    UNKNOWN_TEST: ClassVar[str] = "unknown_lab_test"
    IMPORT_REFUSED: ClassVar[str] = "lab_import_refused"


def _unit_key(unit: str) -> str:
    return unit.replace("²", "2").replace(" ", "").lower()


@dataclass(frozen=True)
class CheckedValue:
    value: Decimal | None
    text: str
    below_detection_limit: bool


def blood_group_text(raw: str) -> str | None:
    """``A+``, ``AB-`` ... from the ways labs write it (``A POS``, ``O Rh-``), or None."""
    match = _ABO.match(raw)
    if not match:
        return None
    rh = match.group(2).upper()
    return match.group(1).upper() + ("+" if rh in ("+", "POS", "POSITIVE") else "-")


def abo_of(text: str) -> str | None:
    """The ABO part of a blood-group result (``A+`` → ``A``)."""
    group = blood_group_text(text)
    return None if group is None else group[:-1]


def _qualitative(test: LabTest, raw: str) -> CheckedValue:
    word = QUALITATIVE_WORDS.get(raw.lower())
    if word is None:
        raise LabError(
            LabError.INVALID,
            f"{test.name} is positive or negative, not {clip(raw)!r}.",
            "value",
        )
    return CheckedValue(None, word, False)


def _blood_group(raw: str) -> CheckedValue:
    group = blood_group_text(raw)
    if group is None:
        raise LabError(
            LabError.INVALID,
            f"{clip(raw)!r} is not an ABO and Rh group (for example A+, O NEG).",
            "value",
        )
    return CheckedValue(None, group, False)


def _number(test: LabTest, raw: str) -> Decimal:
    """``raw`` as a finite number a result can be (at most 7 whole digits, no smaller than
    1e-20)."""
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise LabError(
            LabError.INVALID, f"{test.name}: {clip(raw)!r} is not a number.", "value"
        ) from None
    if not number.is_finite():
        raise LabError(LabError.INVALID, f"{test.name}: {clip(raw)!r} is not a number.", "value")
    if number and not VALUE_SMALLEST_EXPONENT <= number.adjusted() < VALUE_WHOLE_DIGITS:
        raise LabError(
            LabError.IMPLAUSIBLE,
            f"{test.name}: {clip(raw)!r} is outside what a result can be.",
            "value",
        )
    return number


def _check_unit(test: LabTest, unit: str | None) -> None:
    if unit is not None and unit.strip() and _unit_key(unit) != _unit_key(test.unit):
        raise LabError(
            LabError.WRONG_UNIT,
            f"{test.name} is recorded in {test.unit}, not {clip(unit.strip())} "
            "(no unit is converted).",
            "unit",
        )


def _check_plausible(test: LabTest, number: Decimal) -> None:
    low, high = test.plausible_min, test.plausible_max
    if (low is not None and number < low) or (high is not None and number > high):
        raise LabError(
            LabError.IMPLAUSIBLE,
            f"{test.name} {clip(f'{number.normalize():f}')} {test.unit} is not plausible (expected "
            f"{Decimal(low or 0).normalize():f} to {Decimal(high or 0).normalize():f} "
            f"{test.unit}).",
            "value",
        )


def check_value(
    test: LabTest,
    *,
    value: Decimal | str | None,
    unit: str | None = None,
    below_detection_limit: bool = False,
) -> CheckedValue:
    """``value`` as ``test`` records it, or ``LabError`` saying why not. A number may be
    written ``<5`` (below the detection limit 5)."""
    raw = "" if value is None else str(value).strip()
    if not raw:
        raise LabError(LabError.INVALID, f"Give the {test.name} result.", field="value")
    if test.kind == LabKind.QUALITATIVE:
        return _qualitative(test, raw)
    if test.kind == LabKind.BLOOD_GROUP:
        return _blood_group(raw)
    if raw.startswith("<"):
        below_detection_limit, raw = True, raw[1:].strip()
    number = _number(test, raw)
    _check_unit(test, unit)
    _check_plausible(test, number)
    if number != number.quantize(Decimal("0.001")):
        raise LabError(LabError.INVALID, f"{test.name}: at most 3 decimal places.", "value")
    return CheckedValue(number, "", below_detection_limit)


def _check_date(patient: Patient, taken_on: date) -> None:
    if taken_on > timezone.localdate():
        raise LabError(LabError.INVALID, "A result cannot be taken in the future.", "taken_on")
    if taken_on < patient.date_of_birth:
        raise LabError(
            LabError.INVALID, "A result cannot be taken before the date of birth.", "taken_on"
        )


def _existing(
    patient: Patient, test: LabTest, taken_on: date, checked: CheckedValue
) -> LabResult | None:
    found = LabResult.objects.filter(patient=patient, test=test, taken_on=taken_on)
    if checked.value is not None:
        return found.filter(value=checked.value).first()
    return found.filter(value__isnull=True, text=checked.text).first()


def _save(result: LabResult, by: User, reason: str) -> None:
    result._history_user = by  # type: ignore[attr-defined]
    result._change_reason = reason  # type: ignore[attr-defined]
    result.save()


@transaction.atomic
def lab_result_record(
    patient: Patient,
    *,
    by: User,
    test: LabTest,
    taken_on: date,
    value: Decimal | str | None,
    unit: str | None = None,
    below_detection_limit: bool = False,
) -> tuple[LabResult, bool]:
    """Record one result (docs/clinical-rules.md 3.8.2); ``(result, created)``: a duplicate
    returns the stored result and False."""
    checked = check_value(test, value=value, unit=unit, below_detection_limit=below_detection_limit)
    _check_date(patient, taken_on)
    existing = _existing(patient, test, taken_on, checked)
    if existing is not None:
        return existing, False
    result = LabResult(
        patient=patient,
        test=test,
        taken_on=taken_on,
        value=checked.value,
        text=checked.text,
        unit=test.unit if checked.value is not None else "",
        below_detection_limit=checked.below_detection_limit,
        recorded_by=by,
    )
    try:
        with transaction.atomic():
            _save(result, by, "Lab result recorded")
    except IntegrityError:  # the same result recorded at the same moment by someone else
        existing = _existing(patient, test, taken_on, checked)
        if existing is None:
            raise
        return existing, False
    return result, True


# --- the CSV import ----------------------------------------------------------------------------

# The limits of one import (docs/clinical-rules.md 3.8.2): a larger export is split by the unit.
# 1 MB (10^6 bytes): with the multipart wrapping, within the 1 MiB request bound (settings).
IMPORT_MAX_BYTES = 1_000_000
IMPORT_MAX_ROWS = 5_000
IMPORT_MAX_FIELD_CHARS = 1_000
IMPORT_TIME_BUDGET_S = 20.0
# At most this many refused rows are listed (the count says how many there were).
IMPORT_REFUSED_LISTED = 200
# A cell a spreadsheet would read as a formula (OWASP CSV injection) is refused, not stored.
# ``+`` and ``-`` begin numbers too: refused in the text columns only.
_FORMULA_ANYWHERE = ("=", "@", "\t", "\r")
_FORMULA_IN_TEXT = ("+", "-")
_TEXT_COLUMNS = ("mrn", "loinc", "taken_on", "unit")


@dataclass
class ImportReport:
    """What an import did: rows read, results imported, duplicates skipped, rows refused (line
    number in the file and why; the first ``IMPORT_REFUSED_LISTED``, ``refused_count`` of
    them). ``refused`` not empty = nothing was imported."""

    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    refused_count: int = 0

    @property
    def accepted(self) -> bool:
        return not self.refused

    def refuse(self, line: int, reason: str) -> None:
        self.refused_count += 1
        if len(self.refused) < IMPORT_REFUSED_LISTED:
            self.refused.append((line, reason.rstrip(".")))


@dataclass(frozen=True)
class CheckedRow:
    """A row of an import that passed every check (``line`` in the file)."""

    line: int
    patient: Patient
    test: LabTest
    taken_on: date
    checked: CheckedValue


def check_import_size(size: int) -> None:
    """``LabError`` when a file of ``size`` bytes is over ``IMPORT_MAX_BYTES``."""
    if size > IMPORT_MAX_BYTES:
        raise LabError(
            LabError.IMPORT_REFUSED,
            f"The file is larger than {IMPORT_MAX_BYTES // 1_000_000} MB: split it.",
            "file",
        )


def decode_import(data: bytes) -> str:
    """The bytes of an upload as text: UTF-8 (a byte-order mark is skipped), at most
    ``IMPORT_MAX_BYTES``; ``LabError`` naming the line otherwise."""
    check_import_size(len(data))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise LabError(
            LabError.IMPORT_REFUSED,
            f"The file is not UTF-8 text (line {line}): export it as CSV UTF-8.",
            "file",
        ) from None


def _read_rows(text: str, report: ImportReport) -> Iterable[tuple[int, dict[str, str] | None]]:
    """``(line, row)`` for each row; ``row`` is None where the row could not be read (the
    reason is then in ``report``). Reading stops at a malformed file or after
    ``IMPORT_MAX_ROWS``."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff").replace("\x00", "\ufffd")))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error:
        fieldnames = []
    header = [name.strip().lower() for name in fieldnames]
    missing = [name for name in IMPORT_COLUMNS if name not in header]
    if missing:
        raise LabError(
            LabError.IMPORT_REFUSED,
            "The file needs the columns "
            + ", ".join(IMPORT_COLUMNS)
            + "; missing: "
            + ", ".join(clip(name) for name in missing)
            + ".",
            "file",
        )
    reader.fieldnames = header
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            report.refuse(reader.line_num, "the row is not readable CSV (a field too long?)")
            return
        if report.rows >= IMPORT_MAX_ROWS:
            report.refuse(reader.line_num, f"more than {IMPORT_MAX_ROWS} rows: split the file")
            return
        yield (
            reader.line_num,
            {
                key: (value or "").strip() if isinstance(value, str) else ""
                for key, value in row.items()
                if key
            },
        )


def import_row_count(text: str) -> int:
    """The rows of ``text`` as the import reads them, at most ``IMPORT_MAX_ROWS`` + 1 (to
    choose between an import at once and in the background); ``LabError`` when a column is
    missing."""
    report = ImportReport()
    count = sum(1 for _ in _read_rows(text, report))
    return count + (1 if report.refused else 0)


def _row_problem(row: dict[str, str]) -> str | None:
    """Why ``row`` is refused before it is read: a NUL, a field too long, a formula."""
    for column in IMPORT_COLUMNS:
        cell = row.get(column, "")
        if "\ufffd" in cell:
            return f"{column}: a NUL or unreadable character"
        if len(cell) > IMPORT_MAX_FIELD_CHARS:
            return f"{column}: longer than {IMPORT_MAX_FIELD_CHARS} characters"
        if any(ord(char) < 32 for char in cell):
            return f"{column}: a control character"
        starts = _FORMULA_ANYWHERE + (_FORMULA_IN_TEXT if column in _TEXT_COLUMNS else ())
        if cell.startswith(starts):
            return f"{column}: {clip(cell)!r} begins like a spreadsheet formula"
    return None


def _check_row(
    line: int, row: dict[str, str], tests: dict[str, LabTest], patients: dict[str, Patient]
) -> CheckedRow:
    patient = patients.get(row["mrn"])
    if patient is None:
        raise LabError(LabError.INVALID, f"no patient with MRN {clip(row['mrn'])!r}")
    test = tests.get(row["loinc"].upper())
    if test is None:
        raise LabError(LabError.UNKNOWN_TEST, f"unknown test code {clip(row['loinc'])!r}")
    try:
        taken_on = date.fromisoformat(row["taken_on"])
    except ValueError:
        raise LabError(
            LabError.INVALID, f"{clip(row['taken_on'])!r} is not a date (YYYY-MM-DD)"
        ) from None
    if not LAB_TAKEN_ON.contains(taken_on):
        raise LabError(LabError.INVALID, LAB_TAKEN_ON.message())
    checked = check_value(test, value=row["value"], unit=row["unit"])
    _check_date(patient, taken_on)
    return CheckedRow(line, patient, test, taken_on, checked)


def _stored_keys(rows: list[CheckedRow]) -> set[tuple[int, int, date, Decimal | None, str]]:
    """The (patient, test, day, value, text) of the results already stored for ``rows``
    (one query)."""
    if not rows:
        return set()
    stored = LabResult.objects.filter(
        patient__in={row.patient.pk for row in rows},
        test__in={row.test.pk for row in rows},
        taken_on__in={row.taken_on for row in rows},
    ).values_list("patient_id", "test_id", "taken_on", "value", "text")
    return {
        (patient, test, taken_on, value, "" if value is not None else text)
        for patient, test, taken_on, value, text in stored
    }


def import_check(
    text: str, report: ImportReport, progress: Callable[[int, int], None] | None = None
) -> list[CheckedRow]:
    """Read and check every row of ``text`` (in the limits above) into ``report``; the rows
    accepted, in the file's order. ``progress(rows_done, rows_total)`` is called as rows are
    checked."""
    started = time.monotonic()
    tests = {test.code.upper(): test for test in LabTest.objects.all()}
    read: list[tuple[int, dict[str, str]]] = []
    for line, row in _read_rows(text, report):
        if row is None:
            continue
        report.rows += 1
        problem = _row_problem(row)
        if problem:
            report.refuse(line, problem)
        else:
            read.append((line, row))
    patients = {
        patient.mrn: patient
        for patient in Patient.objects.filter(mrn__in={row["mrn"] for _, row in read})
    }
    checked_rows: list[CheckedRow] = []
    for index, (line, row) in enumerate(read, 1):
        if time.monotonic() - started > IMPORT_TIME_BUDGET_S:
            report.refuse(line, "the import took too long: split the file")
            break
        try:
            checked_rows.append(_check_row(line, row, tests, patients))
        except LabError as error:
            report.refuse(line, error.message)
        if progress is not None and index % 500 == 0:
            progress(index, len(read))
    return checked_rows


def import_save(rows: list[CheckedRow], *, by: User, report: ImportReport) -> None:
    """Store the checked ``rows`` that are not duplicates (of a stored result or of an earlier
    row), counting ``imported`` and ``duplicates`` in ``report``. Runs in the caller's
    transaction."""
    seen = _stored_keys(rows)
    for item in rows:
        key = (
            item.patient.pk,
            item.test.pk,
            item.taken_on,
            item.checked.value,
            item.checked.text if item.checked.value is None else "",
        )
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        result = LabResult(
            patient=item.patient,
            test=item.test,
            taken_on=item.taken_on,
            value=item.checked.value,
            text=item.checked.text,
            unit=item.test.unit if item.checked.value is not None else "",
            below_detection_limit=item.checked.below_detection_limit,
            source=LabSource.IMPORTED,
            recorded_by=by,
        )
        _save(result, by, "Lab result imported")
        report.imported += 1


def lab_import_csv(
    text: str, *, by: User, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Import a laboratory export (columns mrn, loinc, taken_on, value, unit), all or nothing
    (module docstring), within the limits above: every row that cannot be read or is refused
    is in the report, never an exception. ``LabError`` only for a file that is not such an
    export at all. ``progress(rows_done, rows_total)`` is called as rows are checked. A large
    export is imported in the background instead (``orders.labs.background``)."""
    report = ImportReport()
    checked_rows = import_check(text, report, progress)
    if report.refused:
        return report
    with transaction.atomic():
        import_save(checked_rows, by=by, report=report)
    if progress is not None:
        progress(report.rows, report.rows)
    return report


# --- reading -----------------------------------------------------------------------------------


# --- engine inputs (docs/clinical-rules.md 3.8.2) ----------------------------------------------
