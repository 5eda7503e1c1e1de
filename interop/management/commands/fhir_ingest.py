"""``manage.py fhir_ingest FILE --user NAME``: record a transaction Bundle file (the EHR's
nightly export), all or nothing, as ``POST /fhir/R4/`` does (docs/fhir.md, "In"). Refused
entries are listed with their reasons and nothing is recorded; the exit status is then 1."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from interop.inbound.ingest import CREATED, IngestRefused, ingest_bundle
from interop.inbound.transaction import loads
from interop.policies import can_ingest_fhir
from ivig.accounts.models import User

# A nightly export larger than this is split by the sender (the Bundle's entries are bounded too).
MAX_FILE_BYTES = 50_000_000


class Command(BaseCommand):
    help = "Record a FHIR R4 transaction Bundle (Patient, Observation) from a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="The clinician the entries are by.")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        if not can_ingest_fhir(user):
            raise CommandError(f"{username} may not register patients and record results.")
        return user

    def _read(self, path: Path) -> Any:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path} is larger than {MAX_FILE_BYTES:,} bytes: split it.")
            return loads(path.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        except (ValueError, RecursionError) as error:
            raise CommandError(f"{path} is not JSON: {str(error)[:120]}") from error

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["user"])
        data = self._read(options["file"])
        try:
            outcomes = ingest_bundle(data, by=user)
        except IngestRefused as refused:
            for issue in refused.issues:
                self.stderr.write(f"{issue.expression}: {issue.message}")
            raise CommandError(
                f"{len(refused.issues)} problem(s), first {refused.issues[0].expression}: "
                f"{refused.issues[0].message} Nothing was recorded."
            ) from None
        created = sum(outcome.status == CREATED for outcome in outcomes)
        self.stdout.write(
            f"{len(outcomes)} entries: {created} created, "
            f"{len(outcomes) - created} already recorded."
        )
