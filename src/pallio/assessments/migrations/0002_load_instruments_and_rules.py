"""Load the instruments shipped in assessments/instruments/ and the default alert rules.

Run again after editing those files with `pallio instruments reload`.
"""

from django.db import migrations


def load(apps, schema_editor):
    from pallio.assessments.services import alert_rules_sync_defaults, instruments_sync_shipped

    instruments_sync_shipped(apps.get_model("assessments", "Instrument"))
    alert_rules_sync_defaults(apps.get_model("assessments", "AlertRule"))


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
