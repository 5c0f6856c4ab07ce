from django.db import migrations, models


class Migration(migrations.Migration):
    """The alert worker claims the oldest symptom reports not judged yet."""

    dependencies = [
        ("assessments", "0006_hospital_admission_rule"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="symptomreport",
            index=models.Index(
                condition=models.Q(("evaluated_at__isnull", True)),
                fields=["created_at", "id"],
                name="symptom_report_waiting",
            ),
        ),
    ]
