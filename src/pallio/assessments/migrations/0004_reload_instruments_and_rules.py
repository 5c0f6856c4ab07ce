"""Load the revised shipped instruments (ESAS-r end words, PHQ-4 in its published order,
PaP counts entered as numbers, the ASQ) and alert rules (the HOPE in-person visit, the
suicide-risk screen, the unstable phase, the missing report by each patient's cadence) into
a database migrated before them. Existing reports keep the answers they were given."""

from django.db import migrations


def load(apps, schema_editor):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped(apps.get_model("assessments", "Instrument"))
    alert_rules_sync_defaults(apps.get_model("assessments", "AlertRule"))


class Migration(migrations.Migration):
    dependencies = [("assessments", "0003_partial_reports_and_rule_timing")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
