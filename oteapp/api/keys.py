"""API keys: created and revoked by an organization's owners and admins, presented as `Authorization: Bearer`.

A key reads `ote_<prefix>_<secret>`. Only the prefix (public, shown on the page to tell keys apart) and a keyed
HMAC-SHA256 digest of the whole key are stored; the key is shown once, when it is created. The digest's key is
derived from settings.SECRET_KEY (django.utils.crypto.salted_hmac), so a copy of the database alone cannot check
guesses; a key of 32 random bytes needs no slow hash.

Finding the key happens before the organization is known, under row-level security: `api_key_authenticate`
sets `app.api_key_prefix` for that one query, and the `api_key_lookup` policy (migration 0010) lets the runtime
role read the keys with that prefix and nothing else. Once the digest matches, the request enters the key's
organization exactly as a member's request does (accounts.tenancy.enter_organization).
"""

import re
import secrets
import string
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts import rls
from accounts.models import Organization, User
from accounts.text import text_problem
from oteapp.models import ApiKey, ApiKeyScope
from oteapp.services.audit import audit_changes

KEY_PREFIX = "ote"
PREFIX_LENGTH = 8
DIGEST_SALT = "oteapp.api.keys"
PREFIX_SETTING = "app.api_key_prefix"
# last_used_at is a hint for people ("used 3 minutes ago"), not a log: one write a minute per key is enough.
LAST_USED_PRECISION = timedelta(minutes=1)
ACTION_API_KEY_CREATE = "api_key_create"
ACTION_API_KEY_REVOKE = "api_key_revoke"
MAX_NAME_LENGTH = 100
_ALPHABET = string.ascii_letters + string.digits
# What a key made here looks like (its secret is secrets.token_urlsafe's alphabet). Anything else is no key, and is
# answered 401 before its text reaches PostgreSQL (a NUL) or the digest (a lone surrogate cannot be encoded).
_KEY_SHAPE = re.compile(rf"{KEY_PREFIX}_([A-Za-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_-]+)", re.ASCII)


def api_key_digest(key: str) -> str:
    return salted_hmac(DIGEST_SALT, key, algorithm="sha256").hexdigest()


def _split(key: str) -> tuple[str, str] | None:
    match = _KEY_SHAPE.fullmatch(key)
    return (match[1], match[2]) if match else None


@transaction.atomic
def api_key_create(*, organization: Organization, actor: User | None, name: str, scope: str) -> tuple[ApiKey, str]:
    """A new key and its text, which is never stored and cannot be shown again. Raises ValidationError per field."""
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not name or len(name) > MAX_NAME_LENGTH:
        errors["name"] = f"Enter a name of 1 to {MAX_NAME_LENGTH} characters, e.g. the system that will use it."
    elif problem := text_problem(name):
        errors["name"] = f"The name {problem}."
    elif ApiKey.objects.filter(organization=organization, name__iexact=name, revoked_at__isnull=True).exists():
        errors["name"] = f"There is already an active key named {name}."
    if scope not in ApiKeyScope.values:
        errors["scope"] = "Choose read or write."
    if errors:
        raise ValidationError(errors)
    for _ in range(5):  # a prefix taken already (1 in 62^8 per key) draws again
        prefix = "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH))
        text = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey(
            organization=organization,
            name=name,
            scope=scope,
            prefix=prefix,
            digest=api_key_digest(text),
            created_by=actor,
        )
        try:
            with transaction.atomic():
                api_key.save(force_insert=True)
        except IntegrityError:
            continue
        break
    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_API_KEY_CREATE,
        subject=f"API key {name} ({prefix})",
        changes=[("scope", None, scope)],
    )
    return api_key, text


@transaction.atomic
def api_key_revoke(*, organization: Organization, actor: User | None, api_key: ApiKey) -> ApiKey:
    """The key stops working at once; the row stays, so the audit trail can still name it."""
    if api_key.organization_id != organization.pk:
        raise ValueError("The key belongs to another organization.")
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_API_KEY_REVOKE,
        subject=f"API key {api_key.name} ({api_key.prefix})",
        changes=[("revoked", "", api_key.revoked_at.isoformat(timespec="seconds"))],
    )
    return api_key


def api_key_authenticate(key: str) -> ApiKey | None:
    """The active key `key` is, or None. Call inside the request's transaction (the prefix setting is SET LOCAL);
    it reads only the rows with the key's prefix, whatever their organization, and compares digests in constant
    time."""
    parts = _split(key)
    if parts is None:
        return None
    prefix, _ = parts
    if rls.rls_enabled():
        rls.set_setting(PREFIX_SETTING, prefix)
    try:
        candidates = list(ApiKey.unscoped.filter(prefix=prefix, revoked_at__isnull=True))
    finally:
        if rls.rls_enabled() and not connection.needs_rollback:
            rls.set_setting(PREFIX_SETTING, "")
    digest = api_key_digest(key)
    for candidate in candidates:
        if constant_time_compare(candidate.digest, digest):
            return candidate
    return None


def api_key_touch(api_key: ApiKey) -> None:
    """Record the key's use, at most once per LAST_USED_PRECISION; inside its organization's context."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
