"""Authorizations searched by payer, member id or reference from indexes on PostgreSQL
(docs/architecture.md, "Text search"): a trigram index of the upper case of each, as orders 0026
made for the patients (ivig/text_search.py). Nothing on SQLite."""

from django.db import migrations

from ivig.text_search import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [
        ("authorizations", "0004_list_indexes"),
    ]

    operations = [
        TrigramIndexes(
            table="orders_authorization",
            indexes={
                "authorization_payer_trgm": "payer",
                "authorization_member_id_trgm": "member_id",
                "authorization_reference_trgm": "reference_number",
            },
        ),
    ]
