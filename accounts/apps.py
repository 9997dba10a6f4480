from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_row_level_security(app_config: AppConfig, using: str, **kwargs) -> None:
    from django.db import connections

    if app_config.name != "accounts":  # post_migrate fires per app; once per migrate is enough
        return
    from accounts.models import Membership
    from accounts.rls import install_policies, rls_enabled
    from accounts.tenancy import TenantModel

    db = connections[using]
    if not rls_enabled(db):
        return
    from django.apps import apps

    tables = sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, TenantModel))
    install_policies(tables=tables, membership_table=Membership._meta.db_table, db=db)


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        # After every migrate, so a new tenant table gets its policy without anyone remembering.
        post_migrate.connect(_install_row_level_security, dispatch_uid="accounts.rls")
