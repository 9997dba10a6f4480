from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import DateTimeField, QuerySet

from accounts import rls
from accounts.models import Invitation, Membership, Organization, User
from accounts.sessions import SessionStore, session_user_id
from config.db import server_binding_cursor

_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_USER_COLUMNS = [field.column for field in User._meta.concrete_fields]
# Constants only; the id is a parameter.
_USER_SQL = "SELECT {} FROM {} WHERE {} = %s".format(  # noqa: S608  # nosec B608
    ", ".join(_USER_COLUMNS), User._meta.db_table, User._meta.pk.column
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORGANIZATION_FIELDS = ["id", "name", "slug", "created_at", "data_version"]
_MEMBERSHIP_FIELDS = ["id", "organization_id", "user_id", "role", "receives_digests", "created_at"]


def _epoch_micros(column: str) -> str:
    """A timestamptz column as whole microseconds since the epoch: the request's first statement returns four
    of them, and turning ISO text into datetimes was about 5% of a cached screen's time (py-spy)."""
    return f"(extract(epoch from {column}) * 1000000)::bigint"


def _from_epoch_micros(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(microseconds=value)


_USER_TIMESTAMPS = [i for i, field in enumerate(User._meta.concrete_fields) if isinstance(field, DateTimeField)]
# The session, its user and (for a slug) the user's membership there, in one call of accounts_request_context
# (accounts migration 0004): every signed-in request starts with it. Constants only; the values are parameters.
_REQUEST_CONTEXT_SQL = (  # noqa: S608
    "SELECT r.session_data, {user_columns}, r.membership_id, r.member_role, r.receives_digests, {joined_at}, "  # nosec B608
    "r.organization_id, r.organization_name, {organization_created_at}, r.data_version "
    "FROM accounts_request_context(%s::varchar, %s::varchar, statement_timestamp()) r"
).format(
    user_columns=", ".join(
        _epoch_micros(f"(r.account).{field.column}") if i in _USER_TIMESTAMPS else f"(r.account).{field.column}"
        for i, field in enumerate(User._meta.concrete_fields)
    ),
    joined_at=_epoch_micros("r.joined_at"),
    organization_created_at=_epoch_micros("r.organization_created_at"),
)


def user_get(*, user_id: object) -> User | None:
    """The user with this primary key (as stored in a session), as the ORM would load it, or None."""
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_USER_SQL, [pk])
        row = cursor.fetchone()
    return None if row is None else User.from_db(connection.alias, _USER_FIELDS, row)


@dataclass(frozen=True)
class RequestContext:
    session_data: dict  # decoded and verified, as SessionStore.load() returns it
    user: User | None  # the session's user, if the signed data names the same one as the row
    membership: Membership | None  # that user's membership of the organization asked for, if any


def request_context_get(*, session_key: str, slug: str | None) -> RequestContext | None:
    """A request's session, user and membership of `slug`'s organization in one statement (PostgreSQL), or None
    when there is no such live session. The user is only what the session row points at: Django's
    authentication still checks it against the signed data (`accounts.backends.prefetched_user`)."""
    # Bound on the server, so prepared once per connection: PostgreSQL neither parses nor plans it again, about
    # a tenth less machine time per cached screen under load (bench/FINDINGS.md).
    with server_binding_cursor() as cursor:
        cursor.execute(_REQUEST_CONTEXT_SQL, [session_key, slug])
        row = cursor.fetchone()
        alias = cursor.db.alias
    if row is None:
        return None
    session_data = SessionStore().decode(row[0])
    user_values = list(row[1 : 1 + len(_USER_FIELDS)])
    user_id = user_values[0]
    if user_id is None or session_user_id(session_data) != user_id:
        return RequestContext(session_data=session_data, user=None, membership=None)
    for i in _USER_TIMESTAMPS:
        user_values[i] = _from_epoch_micros(user_values[i])
    user = User.from_db(alias, _USER_FIELDS, user_values)
    membership_values = list(row[1 + len(_USER_FIELDS) :])
    membership = None
    if membership_values[0] is not None:
        for i in (3, 6):  # joined_at, organization_created_at
            membership_values[i] = _from_epoch_micros(membership_values[i])
        membership = _membership(user=user, slug=slug, values=membership_values)
    return RequestContext(session_data=session_data, user=user, membership=membership)


def _membership(*, user: User, slug: str, values: tuple) -> Membership:
    """A membership with its organization from the columns both request lookups return, in this order."""
    membership_id, role, receives_digests, joined_at, organization_id, name, created_at, data_version = values
    # As loaded rows (from_db: every column, in the models' field order), not new objects: Model.__init__ with
    # keyword arguments cost a cached screen about 40,000 instructions of 2.23 million (callgrind).
    alias = user._state.db
    organization = Organization.from_db(
        alias, _ORGANIZATION_FIELDS, (organization_id, name, slug, created_at, data_version)
    )
    membership = Membership.from_db(
        alias, _MEMBERSHIP_FIELDS, (membership_id, organization_id, user.pk, role, receives_digests, joined_at)
    )
    membership.organization = organization
    membership.user = user
    return membership


def user_memberships(*, user: User) -> list[Membership]:
    """The organizations a user belongs to (the organization switcher), across tenants by design."""
    return list(Membership.unscoped.select_related("organization").filter(user=user).order_by("organization__name"))


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def organization_pending_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(organization=organization, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-sent_at", "-pk")
    )


@dataclass(frozen=True)
class RequestMembership:
    membership: Membership  # with its organization (and the organization's data version) loaded
    database_previous: str | None  # the row-level-security setting this query replaced (None: not set)


def request_membership_get(*, user: User, slug: str, for_write: bool) -> RequestMembership | None:
    """The user's membership of the organization at `/o/<slug>/`, or None: every request under an organization
    starts here, so it is one hand-written statement (no ORM query building) that also sets that organization
    for row-level security (set_config in the same row: one round trip fewer). `for_write` also takes the
    organization's row lock (see OrganizationMiddleware)."""
    set_organization = rls.rls_enabled()
    rls_columns = (
        f", coalesce(current_setting('{rls.ORGANIZATION_SETTING}', true), ''), "
        f"set_config('{rls.ORGANIZATION_SETTING}', o.id::text, true)"
        if set_organization
        else ""
    )
    lock = " FOR NO KEY UPDATE OF o" if for_write and connection.features.has_select_for_update else ""
    # Only constants are formatted in; the values are parameters.
    sql = (
        "SELECT m.id, m.role, m.receives_digests, m.created_at, o.id, o.name, o.created_at, o.data_version"  # noqa: S608  # nosec B608
        f"{rls_columns} FROM {Membership._meta.db_table} m JOIN {Organization._meta.db_table} o "
        f"ON o.id = m.organization_id WHERE o.slug = %s AND m.user_id = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    membership = _membership(user=user, slug=slug, values=row[:8])
    return RequestMembership(membership=membership, database_previous=row[8] if set_organization else None)
