"""Key the audit chain (HMAC) and record refusals and the alerts they raise.

`scheme` is nullable with no default so that SQLite adds the column in place
(ALTER TABLE ADD COLUMN): a default would make Django rebuild the table, and the rebuilt
table would lose the append-only triggers of 0002. Rows written before this migration keep
an empty scheme: they were hashed with plain SHA-256, and no key exists at migrate time to
re-key them (the triggers refuse the update anyway). `pallio audit verify` checks each row by
its own scheme and refuses a plain row after a keyed one.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
    ]

    operations = [
        migrations.CreateModel(
            name='SecurityAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('program_id', models.UUIDField(db_index=True)),
                ('user_id', models.BigIntegerField()),
                ('username', models.CharField(max_length=150)),
                ('raised_at', models.DateTimeField()),
                ('window_start', models.DateTimeField()),
                ('denials', models.PositiveIntegerField()),
                ('emailed_to', models.JSONField(blank=True, default=list)),
                ('emailed_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['-raised_at'],
            },
        ),
        migrations.AddField(
            model_name='auditevent',
            name='scheme',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['program_id', 'outcome', 'at'], name='audit_program_outcome_at'),
        ),
        migrations.AddIndex(
            model_name='securityalert',
            index=models.Index(fields=['user_id', 'raised_at'], name='audit_alert_user_raised'),
        ),
    ]
