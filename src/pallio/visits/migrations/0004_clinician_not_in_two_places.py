"""A clinician cannot be in two places at once: on PostgreSQL, an exclusion constraint over
the clinician and the time range of their booked and completed visits (btree_gist lets the
clinician's key share a GiST index with the range). SQLite has no such constraint; the
booking service checks there instead (visits/services/scheduling.py)."""

from typing import Any

from django.db import migrations

CONSTRAINT = "scheduled_visit_clinician_not_in_two_places"


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE visits_scheduledvisit ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(clinician_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status IN ('booked', 'completed'))"
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE visits_scheduledvisit DROP CONSTRAINT {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("visits", "0003_scheduled_visits")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
