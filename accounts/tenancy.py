"""Fail-closed tenancy: the current organization lives in a ContextVar.

Requests (OrganizationMiddleware) and tasks enter `organization_context`; the default manager of every
tenant-owned model refuses to query outside it, so a forgotten filter raises instead of leaking.
A ContextVar reset with its token (not a thread-local) cannot leak one task's tenant into the next.
The same organization is also set in the database for row-level security (accounts/rls.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from django.db import DatabaseError, connection, models
from django.db.transaction import TransactionManagementError

from accounts import rls

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


def organization_in_context() -> int | None:
    return _current_organization_id.get()


def enter_organization(organization_id: int) -> Token:
    """Make `organization_id` current here and, for row-level security, in the database (SET LOCAL in a
    transaction). The request's middleware leaves the database setting to its transaction's end."""
    if rls.rls_enabled():
        rls.set_setting(rls.ORGANIZATION_SETTING, str(organization_id))
    return _current_organization_id.set(organization_id)


def leave_organization(token: Token) -> None:
    _current_organization_id.reset(token)


@contextmanager
def organization_context(organization: "models.Model | int") -> Iterator[None]:
    """The organization for the block, here and in the database; both are put back as they were after it."""
    organization_id = organization if isinstance(organization, int) else organization.pk
    previous = rls.set_setting(rls.ORGANIZATION_SETTING, str(organization_id)) if rls.rls_enabled() else None
    token = _current_organization_id.set(organization_id)
    try:
        yield
    finally:
        _current_organization_id.reset(token)
        if previous is not None:
            try:
                rls.set_setting(rls.ORGANIZATION_SETTING, previous)
            except (DatabaseError, TransactionManagementError):
                # A failed transaction accepts only its rollback, which undoes the SET LOCAL as well.
                if not connection.in_atomic_block:
                    raise


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
