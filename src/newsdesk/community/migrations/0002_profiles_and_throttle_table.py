"""Profiles for accounts made before the community app, and the throttle cache table."""

from django.core.management import call_command
from django.db import migrations


def make_profiles(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Profile = apps.get_model("community", "Profile")
    missing = User.objects.using(schema_editor.connection.alias).filter(profile__isnull=True)
    Profile.objects.using(schema_editor.connection.alias).bulk_create(
        [Profile(user=user) for user in missing]
    )


def make_throttle_table(apps, schema_editor):
    # The login and comment limits count in a DatabaseCache (settings.CACHES["throttle"]), so
    # `migrate` alone makes every install ready; createcachetable skips tables that exist.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(make_profiles, migrations.RunPython.noop),
        migrations.RunPython(make_throttle_table, migrations.RunPython.noop),
    ]
