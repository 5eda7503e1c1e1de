"""docs/clinical-rules.md 1: the four roles as Django groups. Permissions are granted by
``roles.create_role_groups`` here and again after every ``migrate`` as apps add models."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from ivig.accounts.roles import create_role_groups

    create_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps, schema_editor):
    from ivig.accounts.roles import GROUP_NAMES

    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_NAMES.values()).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
