"""Fail-closed tenancy: the current organization lives in a ContextVar.

Requests (OrganizationMiddleware) and tasks enter `organization_context`; the default manager of every
tenant-owned model refuses to query outside it, so a forgotten filter raises instead of leaking.
A ContextVar reset with its token (not a thread-local) cannot leak one task's tenant into the next.
On PostgreSQL the same organization is also set for row-level security (accounts/rls.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from django.db import DatabaseError, connection, models
from django.db.transaction import TransactionManagementError

_current_organization_id: ContextVar[int | None] = ContextVar("current_organization_id", default=None)


class NoOrganizationInContext(RuntimeError):
    """A tenant model was queried with no organization in context."""


def current_organization_id() -> int:
    organization_id = _current_organization_id.get()
    if organization_id is None:
        raise NoOrganizationInContext(
            "Tenant data queried without an organization in context; "
            "wrap the code in accounts.tenancy.organization_context(organization)."
        )
    return organization_id


OrganizationToken = tuple[Token, str | None]


def organization_in_context() -> int | None:
    return _current_organization_id.get()


def enter_organization(organization_id: int, *, database_previous: str | None = None) -> OrganizationToken:
    """Make `organization_id` current here and, for row-level security, in the database. A caller whose own
    query already set it there (`request_membership_get`) passes the setting's previous value instead."""
    from accounts import rls

    if database_previous is not None:
        previous_setting = database_previous
    elif rls.rls_enabled():
        if rls.request_settings_pending():
            # The request's first statement will set it from this context; until then the database holds what
            # the enclosing context would have it hold.
            outer = _current_organization_id.get()
            previous_setting = "" if outer is None else str(outer)
        else:
            previous_setting = rls.set_setting(rls.ORGANIZATION_SETTING, str(organization_id))
    else:
        previous_setting = None
    return _current_organization_id.set(organization_id), previous_setting


def leave_organization(token: OrganizationToken, *, restore_database: bool = True) -> None:
    """`restore_database=False` when the transaction ends right after, taking its SET LOCAL with it."""
    from accounts import rls

    context_token, previous_setting = token
    _current_organization_id.reset(context_token)
    if previous_setting is None or not restore_database or rls.request_settings_pending():
        return
    try:
        rls.set_setting(rls.ORGANIZATION_SETTING, previous_setting)
    except (DatabaseError, TransactionManagementError):
        # A failed transaction accepts only its rollback, which undoes the SET LOCAL as well.
        if not connection.in_atomic_block:
            raise


@contextmanager
def organization_context(organization: "models.Model | int") -> Iterator[None]:
    organization_id = organization if isinstance(organization, int) else organization.pk
    token = enter_organization(organization_id)
    try:
        yield
    finally:
        leave_organization(token)


class TenantManager(models.Manager):
    """Only the current organization's rows; raises when there is none."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(organization_id=current_organization_id())


class TenantModel(models.Model):
    """Base of every tenant-owned table.

    `objects` is scoped to the organization in context. `unscoped` is for the admin and for
    cross-organization batch jobs only (grep for `.unscoped`), and those must filter explicitly.
    """

    # No index of its own: every tenant table has composite indexes and unique constraints led by it.
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, db_index=False)

    objects = TenantManager()
    unscoped = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True
        base_manager_name = "unscoped"

    def save(self, *args, **kwargs) -> None:
        context_id = _current_organization_id.get()
        if context_id is not None and self.organization_id != context_id:
            raise NoOrganizationInContext(
                f"Refusing to save a {type(self).__name__} of organization {self.organization_id} "
                f"inside the context of organization {context_id}."
            )
        super().save(*args, **kwargs)

    # Uniqueness checks use the default manager: run them in this row's own organization.
    def validate_unique(self, exclude=None) -> None:
        with organization_context(self.organization_id or current_organization_id()):
            super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude=None) -> None:
        with organization_context(self.organization_id or current_organization_id()):
            super().validate_constraints(exclude=exclude)
