"""docs/clinical-rules.md 6.1: each session's patient and local planned day, filled from its order
and planned start (history rows too), then one live session per patient per day. Existing rows
that already break the rule stop the migration with the sessions to cancel or move first."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.utils import timezone

NOT_COUNTED = ["cancelled", "missed"]


def fill_patient_day(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    patient_of = dict(Order.objects.values_list("pk", "patient_id").iterator())
    for name in ("InfusionSession", "HistoricalInfusionSession"):
        model = apps.get_model("infusions", name)
        rows = []
        for row in model.objects.only("pk", "order_id", "planned_start").iterator():
            row.patient_id = patient_of.get(row.order_id)
            row.planned_day = timezone.localdate(row.planned_start)
            rows.append(row)
            if len(rows) == 2000:
                model.objects.bulk_update(rows, ["patient", "planned_day"])
                rows = []
        model.objects.bulk_update(rows, ["patient", "planned_day"])
    session = apps.get_model("infusions", "InfusionSession")
    clashes = list(
        session.objects.exclude(status__in=NOT_COUNTED)
        .values("patient_id", "planned_day")
        .annotate(sessions=Count("pk"))
        .filter(sessions__gt=1)[:20]
    )
    if clashes:
        listed = "; ".join(
            f"patient {clash['patient_id']} on {clash['planned_day']}: sessions "
            + ", ".join(
                str(pk)
                for pk in session.objects.exclude(status__in=NOT_COUNTED)
                .filter(patient_id=clash["patient_id"], planned_day=clash["planned_day"])
                .values_list("pk", flat=True)
            )
            for clash in clashes
        )
        raise RuntimeError(
            "docs/clinical-rules.md 6.1 allows one infusion session per patient per day; cancel "
            f"or move these before migrating: {listed}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("infusions", "0002_session_list_indexes"),
        ("orders", "0006_order_plan_figures_and_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalinfusionsession",
            name="patient",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="orders.patient",
            ),
        ),
        migrations.AddField(
            model_name="historicalinfusionsession",
            name="planned_day",
            field=models.DateField(
                help_text="The planned start's day in the unit's time zone.", null=True
            ),
        ),
        migrations.AddField(
            model_name="infusionsession",
            name="patient",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="infusion_sessions",
                to="orders.patient",
            ),
        ),
        migrations.AddField(
            model_name="infusionsession",
            name="planned_day",
            field=models.DateField(
                help_text="The planned start's day in the unit's time zone.", null=True
            ),
        ),
        migrations.RunPython(fill_patient_day, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="historicalinfusionsession",
            name="patient",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="orders.patient",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinfusionsession",
            name="planned_day",
            field=models.DateField(help_text="The planned start's day in the unit's time zone."),
        ),
        migrations.AlterField(
            model_name="infusionsession",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="infusion_sessions",
                to="orders.patient",
            ),
        ),
        migrations.AlterField(
            model_name="infusionsession",
            name="planned_day",
            field=models.DateField(help_text="The planned start's day in the unit's time zone."),
        ),
        migrations.AddConstraint(
            model_name="infusionsession",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["cancelled", "missed"]), _negated=True),
                fields=("patient", "planned_day"),
                name="infusion_session_one_per_patient_day",
                violation_error_message="The patient already has a session that day.",
            ),
        ),
    ]
