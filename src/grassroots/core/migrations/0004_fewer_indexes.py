from django.db import migrations

from grassroots.core.schema import drop_pattern_indexes


class Migration(migrations.Migration):
    # The audit entry's own indexes stay: on SQLite, altering a field remakes the table and
    # would drop the append-only triggers of 0002.
    dependencies = [
        ("core", "0003_calendar_day"),
    ]

    operations = [
        drop_pattern_indexes("core_auditentry", "action"),  # found by equality only
    ]
