"""``manage.py import_labs FILE --user NAME``: import a laboratory export, all or nothing
(docs/clinical-rules.md 3.8.2). Refused rows are listed with their reasons and nothing is
imported; the exit status is then 1."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ivig.accounts.models import User
from orders.labs.services import LabError, decode_import, lab_import_csv


class Command(BaseCommand):
    help = "Import laboratory results from a CSV export (mrn, loinc, taken_on, value, unit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="The username the import is by.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        try:
            text = decode_import(options["file"].read_bytes())
            report = lab_import_csv(text, by=user)
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        except LabError as error:
            raise CommandError(error.message) from error
        if not report.accepted:
            for line, reason in report.refused:
                self.stderr.write(f"line {line}: {reason}")
            raise CommandError(
                f"{report.refused_count} of {report.rows} rows refused: nothing imported."
            )
        self.stdout.write(
            f"{report.imported} results imported, {report.duplicates} duplicates ignored."
        )
