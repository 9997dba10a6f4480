from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person; logs in with an email address. Global, not tenant-owned."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    def get_session_auth_hash(self) -> str:
        # Checked on every signed-in request: an HMAC of the password hash under the secret key, so it is
        # computed once per pair and process (a password change is a new pair, and signs the sessions out).
        return _session_auth_hash(self.password, settings.SECRET_KEY)


@lru_cache(maxsize=4096)
def _session_auth_hash(password: str, secret_key: str) -> str:
    return User(password=password)._get_session_auth_hash(secret=secret_key)


class Organization(models.Model):
    """The tenant. Its id is the distribution key of every tenant-owned table."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by database triggers (oteapp migration 0003) whenever the organization or any data its reports
    # read changes; cached report fragments are keyed by it, so they can never outlive the data they show.
    data_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    VIEWER = "viewer", "Viewer"


class Membership(TenantModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.VIEWER)
    receives_digests = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_org_user_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.organization_id}"


class Invitation(TenantModel):
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.MANAGER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the email last went out (a resend mails a fresh link, valid for INVITATION_MAX_AGE_DAYS from then).
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["organization", "email"], name="invitation_org_email_idx")]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization_id}"

    @property
    def expires_at(self) -> datetime:
        """When the last link mailed stops working (the link's own signature carries the same age)."""
        return self.sent_at + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Session(AbstractBaseSession):
    """Django's database session with its user's id beside the signed data, so that a request's first
    statement can join session, user and membership (accounts.selectors.request_context_get). The id is a
    copy made when the session is saved; the signed data stays the authority and is checked against it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
