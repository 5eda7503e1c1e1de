"""``manage.py rebuild_rollups``: every derived table written again from the records (idempotent):
the coverage stored per cycle (authorizations/stored_coverage.py), the sessions no approval
covers (infusions/schedule/uncovered_sessions.py) and the stewardship report's daily roll-up
(reports/rollup.py). Run after a bulk load
(``seed_scale``) or when a derived table is in doubt; the tables are analysed afterwards on
PostgreSQL so that the planner knows their size."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from authorizations.models import OrderApproval, OrderCycleCoverage
from authorizations.stored_coverage import rebuild_coverage
from infusions.models import SessionCoverageGap
from infusions.schedule.uncovered_sessions import rebuild_gaps
from reports.models import StewardshipDay
from reports.rollup import rebuild_rollup

DERIVED = (OrderCycleCoverage, OrderApproval, SessionCoverageGap, StewardshipDay)


class Command(BaseCommand):
    help = "Write the derived tables (coverage, uncovered sessions, stewardship) again."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            orders = rebuild_coverage()
            gaps = rebuild_gaps()
            days = rebuild_rollup()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in DERIVED:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(
            f"rebuild_rollups: coverage of {orders} orders, {gaps} sessions not covered, "
            f"{days} stewardship roll-up rows"
        )
