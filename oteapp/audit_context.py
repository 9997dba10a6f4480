"""Which API key is acting, for the audit trail. An API request enters its key (oteapp/api/auth.py) and leaves it
when the answer is done (oteapp/api/middleware.py); every AuditEvent created meanwhile, by any service, in one
insert or many, records that key through the field's default (oteapp.models.AuditEvent.api_key), so a write through
the API is attributed without each service taking the key as an argument."""

from contextvars import ContextVar, Token

_acting_api_key_id: ContextVar[int | None] = ContextVar("acting_api_key_id", default=None)


def acting_api_key_id() -> int | None:
    return _acting_api_key_id.get()


def enter_api_key(api_key_id: int) -> Token:
    return _acting_api_key_id.set(api_key_id)


def leave_api_key(token: Token) -> None:
    _acting_api_key_id.reset(token)
