"""The benchmark's data, made set-based in PostgreSQL: one large organization (400 reps, 36 months of
actuals) and 1,000 small ones (12 reps, 12 months), each with the settings and roles that
`accounts.services.organization_create` gives a new organization, and members who receive digests.

Runs inside the orchestrator after `django.setup()` on the benchmark's own database. Columns are taken
from the models, so a field another engineer adds with a default is filled without touching this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import psycopg
from psycopg import sql

from bench.common import BenchConfig, log, timed

LARGE_SLUG = "bench-large"
SMALL_PREFIX = "bench-small-"
BENCH_EMAIL = "bench@bench.example"
DEAL_VALUE = Decimal("11340")
# Reps per role kind: the large org is a 400-rep sales floor, the small one the typical 12-person team.
LARGE_MIX = {"closer": 0.60, "setter": 0.30, "manager": 0.10}
SMALL_MIX = {"closer": 7, "setter": 4, "manager": 1}
# The large customer configured ramps and accelerators, so the engine's slower paths are exercised.
LARGE_RAMP = {"closer": ["0.5", "0.75"], "setter": ["0.5"]}
LARGE_ACCELERATORS = [
    {"from": "0", "multiplier": "1.0"},
    {"from": "1.0", "multiplier": "1.5"},
    {"from": "1.5", "multiplier": "2.0"},
]


@dataclass(frozen=True)
class BenchData:
    large_slug: str
    small_slug: str  # the small organization the web load uses
    month: date  # the month the pages show: the last closed month
    current_month: date
    organizations: int
    reps: int
    actuals: int
    digest_recipients: int


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def recreate_database(cfg: BenchConfig) -> None:
    """DROP and CREATE the benchmark's own database (the name is checked in BenchConfig)."""
    with psycopg.connect(f"{cfg.pg_server}/postgres", autocommit=True) as conn:
        name = sql.Identifier(cfg.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop_database(cfg: BenchConfig) -> None:
    with psycopg.connect(f"{cfg.pg_server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg.database)))


def _insert_select(
    model: type, values: dict[str, str | tuple[str, list]], from_sql: str, params: list | None = None
) -> int:
    """INSERT INTO <model's table> SELECT …: `values` gives the SQL of some columns; every other column
    gets the model field's default (auto_now → now()), exactly what the ORM would have written."""
    from django.db import connection

    columns, expressions, head_params = [], [], []
    for field in model._meta.concrete_fields:
        given = values.get(field.attname, values.get(field.name))
        if given is None and field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if given is not None:
            expression, extra = given if isinstance(given, tuple) else (given, [])
            expressions.append(expression)
            head_params.extend(extra)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions.append("now()")
        elif field.has_default():
            expressions.append("%s")
            head_params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            expressions.append("NULL")
        else:
            raise RuntimeError(f"bench/datagen.py does not know how to fill {model.__name__}.{field.name}")
    statement = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} {from_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, head_params + (params or []))
        return cursor.rowcount


def _plain(value: object) -> object:
    # TextChoices members are str subclasses; hand the driver plain values.
    return str(value) if isinstance(value, str) else value


def _large_counts(reps: int) -> dict[str, int]:
    counts = {kind: int(reps * share) for kind, share in LARGE_MIX.items()}
    counts["closer"] += reps - sum(counts.values())
    return counts


def generate(cfg: BenchConfig, *, today: date) -> BenchData:
    """Fill the freshly migrated database: the large organization and `cfg.small_orgs` small ones."""
    return _generate(cfg, today=today, first_small=1, last_small=cfg.small_orgs)


def add_small_organizations(cfg: BenchConfig, *, today: date, total: int) -> BenchData:
    """More small organizations, made exactly as the first ones, up to `total` small ones in all (the jobs'
    growth from 1,001 to 10,001 organizations)."""
    return _generate(cfg, today=today, first_small=cfg.small_orgs + 1, last_small=total)


def _generate(cfg: BenchConfig, *, today: date, first_small: int, last_small: int) -> BenchData:
    """Small organizations `first_small`..`last_small` (and the large one and the extra users with the first).
    One transaction; a few set-based statements, each limited to the organizations it adds."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.models import MemberRole, Membership, Organization, User
    from oteapp.models import MonthlyActual, OrganizationSettings, Rep, SalesRole
    from oteapp.services.organizations import DEFAULT_ROLES

    current = today.replace(day=1)
    large_first, small_first = month_add(current, 1 - cfg.large_months), month_add(current, 1 - cfg.small_months)
    is_large = f"o.slug = '{LARGE_SLUG}'"
    first = first_small == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM accounts_organization")
        after = cursor.fetchone()[0]  # the organizations this call adds have larger ids
        cursor.execute("SELECT coalesce(max(id), 0) FROM accounts_user")
        users_after = cursor.fetchone()[0]
    new = f"o.id > {int(after)}"
    with timed() as took, transaction.atomic():
        _insert_select(
            Organization,
            {
                "name": "CASE WHEN g = 0 THEN 'Bench Large' ELSE 'Bench Small ' || lpad(g::text, 5, '0') END",
                "slug": f"CASE WHEN g = 0 THEN '{LARGE_SLUG}' ELSE '{SMALL_PREFIX}' || lpad(g::text, 5, '0') END",
            },
            "FROM generate_series(%s, %s) AS g ORDER BY g",
            [0 if first else first_small, last_small],
        )
        # What organization_defaults_create makes, with the deal value and expenses a customer then enters.
        _insert_select(
            OrganizationSettings,
            {
                "organization": "o.id",
                "deal_value": ("%s", [DEAL_VALUE]),
                "monthly_operating_expenses": f"CASE WHEN {is_large} THEN 300000 ELSE 9000 END",
            },
            f"FROM accounts_organization o WHERE {new} ORDER BY o.id",
        )
        role_columns = sorted({name for role in DEFAULT_ROLES for name in role})
        rows = ", ".join(["(" + ", ".join(["%s"] * (len(role_columns) + 1)) + ")"] * len(DEFAULT_ROLES))
        role_params: list = []
        for position, role in enumerate(DEFAULT_ROLES):
            role_params += [_plain(role.get(column)) for column in role_columns] + [position]
        role_values = {column: f"d.{column}" for column in role_columns}
        role_values["position"] = "d.position"
        role_values["organization"] = "o.id"
        role_values["ramp"] = (
            f"CASE WHEN {is_large} AND d.kind = 'closer' THEN %s::jsonb "
            f"WHEN {is_large} AND d.kind = 'setter' THEN %s::jsonb ELSE '[]'::jsonb END",
            [json.dumps(LARGE_RAMP["closer"]), json.dumps(LARGE_RAMP["setter"])],
        )
        role_values["accelerators"] = (
            f"CASE WHEN {is_large} AND d.kind = 'closer' THEN %s::jsonb ELSE '[]'::jsonb END",
            [json.dumps(LARGE_ACCELERATORS)],
        )
        _insert_select(
            SalesRole,
            role_values,
            f"FROM accounts_organization o CROSS JOIN (VALUES {rows}) AS d({', '.join([*role_columns, 'position'])}) "
            f"WHERE {new} ORDER BY o.id, d.position",
            role_params,
        )
        large_counts = _large_counts(cfg.large_reps)
        mix = ", ".join(
            f"({large}, '{kind}', {count})"
            for large, counts in ((True, large_counts), (False, SMALL_MIX))
            for kind, count in counts.items()
        )
        # Most reps started before the window; one in five during it (so ramps apply), none has left.
        rep_hash = "abs(hashtext(o.slug || r.kind || n::text))"
        _insert_select(
            Rep,
            {
                "organization": "o.id",
                "role": "r.id",
                "name": "initcap(r.kind) || ' ' || lpad(n::text, 4, '0')",
                "email": "r.kind || lpad(n::text, 4, '0') || '@' || o.slug || '.example'",
                "start_date": (
                    f"CASE WHEN mod({rep_hash}, 5) = 0 "
                    f"THEN (CASE WHEN {is_large} THEN %s ELSE %s END)::date "
                    f"+ (mod({rep_hash}, CASE WHEN {is_large} THEN %s ELSE %s END) || ' months')::interval "
                    f"+ (mod({rep_hash}, 27) || ' days')::interval "
                    f"ELSE %s::date - (mod({rep_hash}, 24) || ' months')::interval - interval '1 month' END",
                    [large_first, small_first, cfg.large_months, cfg.small_months, large_first],
                ),
            },
            "FROM accounts_organization o JOIN oteapp_salesrole r ON r.organization_id = o.id "
            f"JOIN (VALUES {mix}) AS c(large, kind, cnt) ON c.large = ({is_large}) AND c.kind = r.kind "
            f"CROSS JOIN LATERAL generate_series(1, c.cnt) AS n WHERE {new} ORDER BY o.id, r.position, n",
        )
        # One row per rep and month from its start; 2% of rows left out ("missing actuals").
        actuals = _insert_select(
            MonthlyActual,
            {
                "organization": "p.organization_id",
                "rep": "p.id",
                "month": "m.month",
                "deals": "CASE WHEN r.kind = 'closer' THEN mod(x.h, 9) "
                "WHEN r.kind = 'setter' AND mod(x.h, 2) = 0 THEN mod(x.h / 7, 12) END",
                "meetings": "CASE WHEN r.kind = 'setter' THEN 20 + mod(x.h, 41) END",
                "team_deals": f"CASE WHEN r.kind = 'manager' AND {is_large} THEN 20 + mod(x.h, 30) END",
                "revenue": (
                    "CASE WHEN r.kind = 'closer' AND mod(x.h, 5) = 0 "
                    "THEN round(mod(x.h, 9) * %s * (0.9 + mod(x.h, 21) / 100.0), 2) END",
                    [DEAL_VALUE],
                ),
            },
            "FROM oteapp_rep p JOIN oteapp_salesrole r ON r.id = p.role_id "
            "JOIN accounts_organization o ON o.id = p.organization_id "
            "CROSS JOIN LATERAL (SELECT generate_series(greatest("
            f"CASE WHEN {is_large} THEN %s::date ELSE %s::date END, date_trunc('month', p.start_date)::date), "
            "%s::date, interval '1 month')::date AS month) AS m "
            "CROSS JOIN LATERAL (SELECT abs(hashtext(p.id::text || '/' || m.month::text)) AS h) AS x "
            f"WHERE mod(x.h, 50) <> 0 AND {new} ORDER BY p.organization_id, m.month, p.id",
            [large_first, small_first, current],
        )
        password = make_password("bench-password-not-secret")  # hashed once, shared by every bench user
        users = _insert_select(
            User,
            {
                "password": ("%s", [password]),
                "email": "u.email",
                "first_name": "u.first",
                "last_name": "'Bench'",
            },
            "FROM (SELECT 'owner@' || o.slug || '.example' AS email, 'Owner' AS first, o.id AS org "  # noqa: S608
            f"FROM accounts_organization o WHERE {new} "
            "UNION ALL SELECT x.role || '@bench-large.example', initcap(x.role), 0 "
            "FROM (VALUES ('manager'), ('admin'), ('viewer')) AS x(role) WHERE %s "
            "UNION ALL SELECT %s, 'Bench', -1 WHERE %s) AS u ORDER BY u.org, u.email",
            [first, BENCH_EMAIL, first],
        )
        _insert_select(
            EmailAddress,
            {"user": "u.id", "email": "u.email", "verified": "true", "primary": "true"},
            "FROM accounts_user u WHERE u.id > %s ORDER BY u.id",
            [users_after],
        )
        # Owners of every organization; the large one also has a manager, an admin and a viewer. The user the
        # load generator signs in as owns the large organization and the first small one (it edits actuals in both).
        _insert_select(
            Membership,
            {"organization": "m.org_id", "user": "u.id", "role": "m.role"},
            "FROM (SELECT o.id AS org_id, 'owner@' || o.slug || '.example' AS email, %s AS role "  # noqa: S608
            f"FROM accounts_organization o WHERE {new} "
            "UNION ALL SELECT o.id, x.role || '@bench-large.example', x.role "
            "FROM accounts_organization o CROSS JOIN (VALUES ('manager'), ('admin'), ('viewer')) AS x(role) "
            f"WHERE {is_large} AND {new} "
            "UNION ALL SELECT o.id, %s, %s "
            f"FROM accounts_organization o WHERE o.slug IN (%s, %s) AND {new}) AS m "
            "JOIN accounts_user u ON u.email = m.email ORDER BY m.org_id, u.id",
            [
                MemberRole.OWNER.value,
                BENCH_EMAIL,
                MemberRole.OWNER.value,
                LARGE_SLUG,
                f"{SMALL_PREFIX}00001",
            ],
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM accounts_organization")
            organizations = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM oteapp_rep")
            reps = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM oteapp_monthlyactual")
            actuals_total = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM accounts_membership WHERE receives_digests AND role IN (%s, %s, %s)",
                [MemberRole.OWNER.value, MemberRole.ADMIN.value, MemberRole.MANAGER.value],
            )
            recipients = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(
        f"data: {organizations} organizations, {reps} reps, {actuals_total} actuals ({actuals} and {users} users "
        f"added) in {took[0]:.1f}s"
    )
    return BenchData(
        large_slug=LARGE_SLUG,
        small_slug=f"{SMALL_PREFIX}00001",
        month=month_add(current, -1),
        current_month=current,
        organizations=organizations,
        reps=reps,
        actuals=actuals_total,
        digest_recipients=recipients,
    )


def session_cookie(*, email: str, slug: str) -> str:
    """A signed-in session made directly in the session store (what login() would store), already
    pointing at `slug` so that the middleware has nothing to write back on each request."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import User

    user = User.objects.get(email=email)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["organization_slug"] = slug
    session.save()
    return session.session_key
