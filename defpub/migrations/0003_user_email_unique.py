from django.db import migrations


class Migration(migrations.Migration):
    """Invitations match people by e-mail, so two accounts may not share one (any case)."""

    dependencies = [("defpub", "0002_domain"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [
        migrations.RunSQL(
            "CREATE UNIQUE INDEX defpub_user_email_ci ON auth_user (lower(email)) "
            "WHERE email <> ''",
            "DROP INDEX defpub_user_email_ci",
        )
    ]
