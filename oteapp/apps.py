from django.apps import AppConfig


class OteappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "oteapp"
    verbose_name = "OTE & team performance"

    def ready(self) -> None:
        from accounts.signals import membership_changed
        from oteapp.services.audit import membership_change_audit

        # accounts knows nothing of oteapp: it announces membership changes and the audit trail listens.
        membership_changed.connect(membership_change_audit, dispatch_uid="oteapp.audit.membership_changed")
