"""Indexes for the audit page's filters by user and by action (docs/performance.md: the audit
trail at 20 million rows).

On PostgreSQL they are built CONCURRENTLY, outside a transaction: a plain CREATE INDEX on a
year's trail takes a minute or more and holds back every INSERT meanwhile, and every page
that reads a patient appends to this table. Other databases build them as usual.
"""

import django.db.models.functions.text
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('audit', '0003_keyed_chain_and_denials'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='auditevent',
            index=models.Index(
                models.F('program_id'),
                django.db.models.functions.text.Upper('username'),
                models.F('at'),
                name='audit_program_username_at',
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='auditevent',
            index=models.Index(fields=['program_id', 'action', 'at'], name='audit_program_action_at'),
        ),
    ]
