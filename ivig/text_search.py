"""Searching by typed words from indexes on PostgreSQL (docs/architecture.md, "Text search").

Django's ``icontains`` compares ``UPPER(column::text) LIKE UPPER('%word%')``. A trigram index
(pg_trgm, GIN) of ``UPPER(column)`` serves exactly that expression, a word found anywhere in the
value, so a search keeps its ``icontains`` and its results on every database.

``TrigramIndexes`` is the migration operation that adds such indexes (and the pg_trgm extension
where it is missing): on PostgreSQL only (SQLite has neither the extension nor GIN and scans its
few rows), and outside the models' state, since Django would create a model's ``GinIndex`` on
SQLite too. On PostgreSQL an index follows its column through any later change of the column.
(Django's ``TrigramExtension`` operation is not used: undone on SQLite, it queries PostgreSQL's
catalogue and fails.)
"""

from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


class TrigramIndexes(Operation):
    """Trigram indexes of the upper case of ``table``'s columns, ``{index name: column}``, and
    the table analyzed (the planner's statistics of the indexed expressions: without them it
    guesses how many rows a word finds until autovacuum next comes by). Undone, the indexes are
    dropped and the extension kept (another operation's indexes may use it)."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, table: str, indexes: dict[str, str]) -> None:
        self.table = table
        self.indexes = indexes

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__name__, [], {"table": self.table, "indexes": self.indexes})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass  # the database's only, not the models'

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in self.indexes.items():
            schema_editor.execute(
                f"CREATE INDEX {name} ON {self.table} USING gin (UPPER({column}) gin_trgm_ops)"
            )
        schema_editor.execute(f"ANALYZE {self.table}")

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in self.indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    def describe(self) -> str:
        return f"Trigram indexes {', '.join(self.indexes)} on {self.table} (PostgreSQL)"
