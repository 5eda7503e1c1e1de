"""The authorizations app takes over the models and tables (``orders_authorization`` ...) of
the orders app: state only, no table is created; the content types follow, so permissions,
history and admin log entries stay attached."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

MODELS = [
    "authorization",
    "authorizationdocument",
    "historicalauthorization",
    "historicalauthorizationdocument",
]


def _relabel(apps, schema_editor, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_follow(apps, schema_editor):
    _relabel(apps, schema_editor, "orders", "authorizations")


def content_types_return(apps, schema_editor):
    _relabel(apps, schema_editor, "authorizations", "orders")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0005_move_authorizations_to_their_app"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Authorization",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("payer", models.CharField(max_length=200)),
                        ("member_id", models.CharField(max_length=64, verbose_name="member id")),
                        ("reference_number", models.CharField(blank=True, max_length=64)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("not_submitted", "Not submitted"),
                                    ("submitted", "Submitted, awaiting decision"),
                                    ("approved", "Approved"),
                                    ("denied", "Denied"),
                                    ("appealed", "Appealed, awaiting decision"),
                                    ("expired", "Expired"),
                                ],
                                db_index=True,
                                default="not_submitted",
                                max_length=13,
                            ),
                        ),
                        (
                            "approved_cycles",
                            models.PositiveSmallIntegerField(blank=True, null=True),
                        ),
                        (
                            "approved_grams",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=8,
                                null=True,
                                verbose_name="approved grams",
                            ),
                        ),
                        ("valid_from", models.DateField(blank=True, null=True)),
                        ("valid_to", models.DateField(blank=True, null=True)),
                        ("submitted_at", models.DateTimeField(blank=True, null=True)),
                        ("appealed_at", models.DateTimeField(blank=True, null=True)),
                        ("decision_date", models.DateField(blank=True, null=True)),
                        ("expired_at", models.DateTimeField(blank=True, null=True)),
                        ("notes", models.TextField(blank=True)),
                        ("version", models.PositiveIntegerField(default=1, editable=False)),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        (
                            "updated_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "order",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="authorizations",
                                to="orders.order",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="authorizations",
                                to="orders.patient",
                            ),
                        ),
                        (
                            "renews",
                            models.ForeignKey(
                                blank=True,
                                help_text="The authorization this one renews.",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="renewals",
                                to="authorizations.authorization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_authorization",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="AuthorizationDocument",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("title", models.CharField(max_length=200)),
                        (
                            "reference",
                            models.CharField(
                                help_text="A link or where the document is filed.", max_length=500
                            ),
                        ),
                        (
                            "added_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        (
                            "added_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "authorization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="documents",
                                to="authorizations.authorization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "orders_authorizationdocument",
                        "ordering": ["added_at", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalAuthorization",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("payer", models.CharField(max_length=200)),
                        ("member_id", models.CharField(max_length=64, verbose_name="member id")),
                        ("reference_number", models.CharField(blank=True, max_length=64)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("not_submitted", "Not submitted"),
                                    ("submitted", "Submitted, awaiting decision"),
                                    ("approved", "Approved"),
                                    ("denied", "Denied"),
                                    ("appealed", "Appealed, awaiting decision"),
                                    ("expired", "Expired"),
                                ],
                                db_index=True,
                                default="not_submitted",
                                max_length=13,
                            ),
                        ),
                        (
                            "approved_cycles",
                            models.PositiveSmallIntegerField(blank=True, null=True),
                        ),
                        (
                            "approved_grams",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=8,
                                null=True,
                                verbose_name="approved grams",
                            ),
                        ),
                        ("valid_from", models.DateField(blank=True, null=True)),
                        ("valid_to", models.DateField(blank=True, null=True)),
                        ("submitted_at", models.DateTimeField(blank=True, null=True)),
                        ("appealed_at", models.DateTimeField(blank=True, null=True)),
                        ("decision_date", models.DateField(blank=True, null=True)),
                        ("expired_at", models.DateTimeField(blank=True, null=True)),
                        ("notes", models.TextField(blank=True)),
                        ("version", models.PositiveIntegerField(default=1, editable=False)),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "order",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="orders.order",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="orders.patient",
                            ),
                        ),
                        (
                            "renews",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                help_text="The authorization this one renews.",
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="authorizations.authorization",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical authorization",
                        "verbose_name_plural": "historical authorizations",
                        "db_table": "orders_historicalauthorization",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalAuthorizationDocument",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("title", models.CharField(max_length=200)),
                        (
                            "reference",
                            models.CharField(
                                help_text="A link or where the document is filed.", max_length=500
                            ),
                        ),
                        (
                            "added_at",
                            models.DateTimeField(default=django.utils.timezone.now, editable=False),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "added_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "authorization",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="authorizations.authorization",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical authorization document",
                        "verbose_name_plural": "historical authorization documents",
                        "db_table": "orders_historicalauthorizationdocument",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.AddIndex(
                    model_name="authorization",
                    index=models.Index(
                        fields=["status", "valid_to"], name="orders_auth_status_d8bb4f_idx"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            (
                                "status__in",
                                [
                                    "not_submitted",
                                    "submitted",
                                    "approved",
                                    "denied",
                                    "appealed",
                                    "expired",
                                ],
                            )
                        ),
                        name="authorization_status_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("valid_from__isnull", True),
                            ("valid_to__isnull", True),
                            ("valid_to__gte", models.F("valid_from")),
                            _connector="OR",
                        ),
                        name="authorization_valid_to_not_before_valid_from",
                        violation_error_message="Valid to cannot be before valid from.",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("approved_cycles__isnull", True),
                            ("approved_cycles__gte", 1),
                            _connector="OR",
                        ),
                        name="authorization_approved_cycles_positive",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("approved_grams__isnull", True),
                            ("approved_grams__gt", 0),
                            _connector="OR",
                        ),
                        name="authorization_approved_grams_positive",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status__in", ["approved", "expired"]), _negated=True),
                            models.Q(
                                ("approved_cycles__isnull", False),
                                ("approved_grams__isnull", False),
                                ("decision_date__isnull", False),
                                ("valid_from__isnull", False),
                                ("valid_to__isnull", False),
                            ),
                            _connector="OR",
                        ),
                        name="authorization_approval_complete",
                        violation_error_message="An approval needs approved cycles, grams, valid from/to and a decision date.",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "denied"), _negated=True),
                            ("decision_date__isnull", False),
                            _connector="OR",
                        ),
                        name="authorization_denial_dated",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("status", "not_submitted"),
                            ("submitted_at__isnull", False),
                            _connector="OR",
                        ),
                        name="authorization_submitted_at_after_submission",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "appealed"), _negated=True),
                            ("appealed_at__isnull", False),
                            _connector="OR",
                        ),
                        name="authorization_appeal_dated",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorization",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("version__gte", 1)),
                        name="authorization_version_positive",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorizationdocument",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("title", ""), _negated=True),
                        name="authorization_document_title_given",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="authorizationdocument",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("reference", ""), _negated=True),
                        name="authorization_document_reference_given",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
