"""The data_version triggers were installed here; they are now installed after every migrate from the one list of
report models in oteapp/data_version.py (OteappConfig.ready), so this migration does nothing any more."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organization_data_version"),
        ("oteapp", "0002_organization_composite_indexes_only"),
    ]

    operations = []
