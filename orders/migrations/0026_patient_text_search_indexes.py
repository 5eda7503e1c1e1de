"""Patients searched by MRN or name from indexes on PostgreSQL (docs/architecture.md, "Text
search"): a trigram index (pg_trgm) of the upper case of the MRN and of each name, the
expression ``icontains`` compares (ivig/text_search.py). Nothing on SQLite."""

from django.db import migrations

from ivig.text_search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0025_to_book_index_without_the_successor_join"),
    ]

    operations = [
        TrigramIndexes(
            table="orders_patient",
            indexes={
                "patient_mrn_trgm": "mrn",
                "patient_family_name_trgm": "family_name",
                "patient_given_name_trgm": "given_name",
            },
        ),
    ]
