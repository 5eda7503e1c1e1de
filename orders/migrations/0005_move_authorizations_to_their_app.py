"""Authorizations moved to their own app (``authorizations``). Their tables stay where they
are: only Django's picture of which app owns them changes, so this migration touches no data."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_authorizations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="historicalauthorization",
                    name="renews",
                ),
                migrations.RemoveField(
                    model_name="authorizationdocument",
                    name="authorization",
                ),
                migrations.RemoveField(
                    model_name="historicalauthorizationdocument",
                    name="authorization",
                ),
                migrations.RemoveField(
                    model_name="authorizationdocument",
                    name="added_by",
                ),
                migrations.RemoveField(
                    model_name="historicalauthorization",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="historicalauthorization",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalauthorization",
                    name="order",
                ),
                migrations.RemoveField(
                    model_name="historicalauthorization",
                    name="patient",
                ),
                migrations.RemoveField(
                    model_name="historicalauthorizationdocument",
                    name="added_by",
                ),
                migrations.RemoveField(
                    model_name="historicalauthorizationdocument",
                    name="history_user",
                ),
                migrations.DeleteModel(
                    name="Authorization",
                ),
                migrations.DeleteModel(
                    name="AuthorizationDocument",
                ),
                migrations.DeleteModel(
                    name="HistoricalAuthorization",
                ),
                migrations.DeleteModel(
                    name="HistoricalAuthorizationDocument",
                ),
            ],
            database_operations=[],
        ),
    ]
