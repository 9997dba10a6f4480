from django.apps import AppConfig, apps
from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate


def runtime_tables(db) -> list[str]:
    """Every table the request path may touch: the models' (with their many-to-many tables) and the cache's,
    those that exist."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    tables.update(
        cache["LOCATION"] for cache in settings.CACHES.values() if cache["BACKEND"].endswith("db.DatabaseCache")
    )
    return sorted(tables & set(db.introspection.table_names()))


def _install_row_level_security(app_config: AppConfig, using: str, **kwargs) -> None:
    if app_config.name != "accounts":  # post_migrate fires per app; once per migrate is enough
        return
    from accounts.models import Membership
    from accounts.rls import install_policies, rls_enabled
    from accounts.tenancy import TenantModel

    if not rls_enabled():
        return
    tables = sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, TenantModel))
    db = connections[using]
    install_policies(
        tables=tables, membership_table=Membership._meta.db_table, runtime_tables=runtime_tables(db), db=db
    )


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        # After every migrate, so a new tenant table gets its policy without anyone remembering.
        post_migrate.connect(_install_row_level_security, dispatch_uid="accounts.rls")
