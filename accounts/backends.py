"""Authentication backends whose per-request user lookup is one hand-written statement.

Every signed-in request loads its user (`get_user`); Django's ORM spends about 0.5 ms building that
query here, four times the query itself (bench/FINDINGS.md). Logging in is unchanged.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from accounts.selectors import user_get


class FastUserLookup:
    def get_user(self, user_id):
        user = user_get(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(FastUserLookup, DjangoModelBackend):
    pass


class AuthenticationBackend(FastUserLookup, AllauthBackend):
    pass
