from django.db import migrations

GENESIS = "0" * 64


def create_head(apps, schema_editor):
    # The one chain head row exists before any record, so appenders only ever lock it.
    apps.get_model("audit", "AuditHead").objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": GENESIS})


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
