"""docs/clinical-rules.md 3.5: a new order's premedication comes from the engine's defaults and
the premedication catalogue, as lines; the dosing policy's default premedication text is no
longer read by anything and goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("formulary", "0009_seed_premedication_catalogue"),
    ]

    operations = [
        migrations.RemoveField(model_name="dosingpolicy", name="default_premedication"),
        migrations.RemoveField(model_name="historicaldosingpolicy", name="default_premedication"),
    ]
