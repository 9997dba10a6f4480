from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _install_data_version_triggers(app_config: AppConfig, using: str, **kwargs) -> None:
    if app_config.name != "oteapp":  # post_migrate fires per app; once per migrate is enough
        return
    from oteapp.data_version import install_triggers

    install_triggers(db=connections[using])


class OteappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "oteapp"
    verbose_name = "OTE & team performance"

    def ready(self) -> None:
        from accounts.signals import invitation_accepted, membership_changed, organization_created
        from oteapp.payouts.receivers import statement_emails_on_approval
        from oteapp.payouts.services import payouts_approved, rep_invitation_accepted
        from oteapp.services.audit import membership_change_audit
        from oteapp.services.organizations import organization_defaults_create

        # accounts knows nothing of oteapp: it announces new organizations and membership changes, and oteapp adds
        # a new organization's settings and sales roles, and writes the audit trail.
        organization_created.connect(organization_defaults_create, dispatch_uid="oteapp.organization_defaults")
        membership_changed.connect(membership_change_audit, dispatch_uid="oteapp.audit.membership_changed")
        # A rep's invitation, once accepted, links the account to the rep; an approval queues the statement emails.
        invitation_accepted.connect(rep_invitation_accepted, dispatch_uid="oteapp.payouts.rep_invitation_accepted")
        payouts_approved.connect(statement_emails_on_approval, dispatch_uid="oteapp.payouts.statement_emails")
        # After every migrate, so the data_version triggers follow oteapp.data_version.REPORT_MODELS.
        post_migrate.connect(_install_data_version_triggers, dispatch_uid="oteapp.data_version")
