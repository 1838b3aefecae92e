"""Hash chains for the audit log (services/audit_chain.py): add the columns and chain the existing entries
in the order they were written (by id), one chain per Workspace."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from envmanager.services.audit_chain import HASHED_COLUMNS, entry_digest

BATCH = 2000


def chain_existing_entries(apps, schema_editor):
    AuditEntry = apps.get_model("envmanager", "AuditEntry")
    AuditChainHead = apps.get_model("envmanager", "AuditChainHead")
    heads: dict[int, tuple[int, str]] = {}
    batch = []
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=BATCH):
        chain = entry.workspace_id or 0
        length, last_hash = heads.get(chain, (0, ""))
        entry.chain, entry.chain_seq, entry.prev_hash = chain, length + 1, last_hash
        entry.entry_hash = entry_digest(**{column: getattr(entry, column) for column in HASHED_COLUMNS})
        heads[chain] = (entry.chain_seq, entry.entry_hash)
        batch.append(entry)
        if len(batch) >= BATCH:
            AuditEntry.objects.bulk_update(batch, ["chain", "chain_seq", "prev_hash", "entry_hash"])
            batch = []
    AuditEntry.objects.bulk_update(batch, ["chain", "chain_seq", "prev_hash", "entry_hash"])
    AuditChainHead.objects.bulk_create(
        AuditChainHead(chain=chain, length=length, last_hash=last_hash) for chain, (length, last_hash) in heads.items()
    )


class Migration(migrations.Migration):

    dependencies = [
        ('envmanager', '0011_delivery_versions_and_readers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('chain', models.BigIntegerField(primary_key=True, serialize=False)),
                ('length', models.PositiveBigIntegerField(default=0)),
                ('last_hash', models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain_seq',
            field=models.PositiveBigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='entry_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='created_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.UniqueConstraint(fields=('chain', 'chain_seq'), name='audit_one_entry_per_chain_position'),
        ),
    ]
