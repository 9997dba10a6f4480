"""The domain tables. All are tenant-owned: `organization` leads every unique constraint and index,
so each table can later be distributed by organization_id (Citus)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.tenancy import TenantModel
from oteapp.audit_context import acting_api_key_id

MONEY = {"max_digits": 14, "decimal_places": 2}
RATIO = {"max_digits": 9, "decimal_places": 4}
UNITS = {"max_digits": 12, "decimal_places": 2}


class CompModel(models.TextChoices):
    COMMISSION_ONLY = "commission_only", "Commission only"
    MIXED = "mixed", "Base + commission"


class RoleKind(models.TextChoices):
    CLOSER = "closer", "Closer"
    SETTER = "setter", "Setter"
    MANAGER = "manager", "Manager"


class OrganizationSettings(TenantModel):
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="UTC")
    deal_value = models.DecimalField(**MONEY, default=Decimal("0"))
    meeting_to_deal_rate = models.DecimalField(**RATIO, default=Decimal("0.25"))
    comp_model = models.CharField(max_length=20, choices=CompModel.choices, default=CompModel.COMMISSION_ONLY)
    monthly_operating_expenses = models.DecimalField(**MONEY, default=Decimal("0"))
    on_target_threshold = models.DecimalField(**RATIO, default=Decimal("1.00"))
    at_risk_threshold = models.DecimalField(**RATIO, default=Decimal("0.85"))
    misalignment_tolerance = models.DecimalField(**RATIO, default=Decimal("0.10"))
    # The month a fiscal year starts in (1 = January): quarters and year to date follow it (SPEC section 14).
    fiscal_year_start = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    # Whether members with the rep access level may open the leaderboard (names and attainment, never earnings).
    leaderboard_visible_to_reps = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "organization settings"
        constraints = [models.UniqueConstraint(fields=["organization"], name="orgsettings_org_uniq")]

    def __str__(self) -> str:
        return f"Settings of organization {self.organization_id}"


class SalesRole(TenantModel):
    key = models.SlugField(max_length=50, db_index=False)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=RoleKind.choices)
    annual_ote = models.DecimalField(**MONEY, default=Decimal("0"))
    annual_base = models.DecimalField(**MONEY, default=Decimal("0"))
    monthly_quota = models.DecimalField(**UNITS, default=Decimal("0"))
    commission_rate = models.DecimalField(**RATIO, default=Decimal("0"))
    # Quota/variable fractions for tenure months 1..n, e.g. ["0.5", "0.75"] (decimal strings).
    ramp = models.JSONField(default=list, blank=True)
    # Marginal tiers: [{"from": "0", "multiplier": "1.0"}, {"from": "1.0", "multiplier": "1.5"}].
    accelerators = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # A guaranteed monthly advance (SPEC section 12); recoverable draws are paid back from later earnings.
    monthly_draw = models.DecimalField(**MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    draw_recoverable = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "key"]
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="salesrole_org_key_uniq")]

    def __str__(self) -> str:
        return self.name


class Rep(TenantModel):
    # RESTRICT: a role with reps cannot be deleted, except together with its organization (cascade).
    role = models.ForeignKey(SalesRole, on_delete=models.RESTRICT, related_name="reps", db_index=False)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # The rep's own plan (SPEC section 14): each figure set here replaces the role's for this rep; null = the role's.
    annual_ote = models.DecimalField(**MONEY, null=True, blank=True)
    annual_base = models.DecimalField(**MONEY, null=True, blank=True)
    monthly_quota = models.DecimalField(**UNITS, null=True, blank=True)
    commission_rate = models.DecimalField(**RATIO, null=True, blank=True)
    monthly_draw = models.DecimalField(**MONEY, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The rep's own account (access level rep), and the invitation that will link it once accepted.
    membership = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    invitation = models.ForeignKey(
        "accounts.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Whether the rep's account is emailed their statement when a month is approved (an unsubscribe stops the
    # email only, never access to the statements).
    receives_statement_emails = models.BooleanField(default=True)

    PLAN_FIELDS = ("annual_ote", "annual_base", "monthly_quota", "commission_rate", "monthly_draw")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="rep_org_name_uniq"),
            # One membership per rep and one rep per membership.
            models.UniqueConstraint(fields=["organization", "membership"], name="rep_org_membership_uniq"),
            models.UniqueConstraint(fields=["organization", "invitation"], name="rep_org_invitation_uniq"),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="rep_org_role_idx")]

    def __str__(self) -> str:
        return self.name


class MonthlyActual(TenantModel):
    """One rep's production in one month (`month` is the first day of the month)."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="actuals", db_index=False)
    month = models.DateField()
    deals = models.DecimalField(**UNITS, null=True, blank=True)
    meetings = models.DecimalField(**UNITS, null=True, blank=True)
    team_deals = models.DecimalField(**UNITS, null=True, blank=True)
    revenue = models.DecimalField(**MONEY, null=True, blank=True)
    # Optimistic concurrency: an edit names the version it started from.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "rep", "month"], name="actual_org_rep_month_uniq"),
        ]
        indexes = [models.Index(fields=["organization", "month"], name="actual_org_month_idx")]

    def __str__(self) -> str:
        return f"{self.rep_id} {self.month:%Y-%m}"


class AuditEvent(TenantModel):
    """Who changed which OTE, quota, rate or actual, when, from what to what."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    field = models.CharField(max_length=60, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    # The API key that made the change when it came through the API (oteapp/api), else null.
    api_key = models.ForeignKey(
        "ApiKey",
        null=True,
        blank=True,
        default=acting_api_key_id,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="audit_org_created_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.subject} {self.field}"


class MonthlySnapshot(TenantModel):
    """The engine's report of one month with the configuration it was computed from."""

    month = models.DateField()
    report = models.JSONField()
    config = models.JSONField()
    computed_at = models.DateTimeField()
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="snapshot_org_month_uniq")]

    def __str__(self) -> str:
        return f"Snapshot {self.organization_id} {self.month:%Y-%m}"


class DigestState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class DigestDelivery(TenantModel):
    """Exactly one digest per organization, recipient and period."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    period = models.DateField()
    state = models.CharField(max_length=10, choices=DigestState.choices, default=DigestState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "recipient", "period"], name="digest_org_recipient_period_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "period", "state"], name="digest_org_period_state_idx"),
            # The sweep's rows (oteapp.jobs.digests.digests_unfinished): few, however many were sent.
            models.Index(
                fields=["organization", "period"],
                condition=models.Q(state__in=["pending", "sending"]),
                name="digest_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Digest {self.period:%Y-%m} to {self.recipient_id}: {self.state}"


class AdjustmentKind(models.TextChoices):
    BONUS = "bonus", "Bonus"
    CLAWBACK = "clawback", "Clawback"
    CORRECTION = "correction", "Correction"


class Adjustment(TenantModel):
    """A change to what a rep is paid for a month (SPEC section 12): never part of the performance report."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="adjustments", db_index=False)
    month = models.DateField()
    kind = models.CharField(max_length=12, choices=AdjustmentKind.choices)
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=300)
    reverses_month = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["month", "id"]
        indexes = [models.Index(fields=["organization", "month"], name="adjustment_org_month_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} for {self.rep_id} {self.month:%Y-%m}"


class MonthApproval(TenantModel):
    """A month's payouts approved by an owner or admin (approved_at set), or reopened since (approved_at null,
    reopened_* set). Approval locks the month's statements: its actuals and adjustments."""

    month = models.DateField()
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reopen_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["organization", "month"], name="approval_org_month_uniq")]

    def __str__(self) -> str:
        return f"Approval {self.organization_id} {self.month:%Y-%m}"

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class StatementDelivery(TenantModel):
    """Exactly one statement email per organization, rep and period (oteapp/jobs/deliveries.py claims and finishes
    it as it does digests)."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="+", db_index=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    period = models.DateField()
    state = models.CharField(max_length=10, choices=DigestState.choices, default=DigestState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "rep", "period"], name="statement_org_rep_period_uniq"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "period"],
                condition=models.Q(state__in=["pending", "sending"]),
                name="statement_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Statement {self.period:%Y-%m} of {self.rep_id}: {self.state}"
class PlanDraft(TenantModel):
    """A candidate comp plan saved from the Plan lab (SPEC section 15): a version 2.0 configuration document holding
    the plan only (the plan settings, the roles, and the reps' own plans by name), applied through the normal
    configuration import after a preview of every change."""

    name = models.CharField(max_length=100)
    configuration = models.JSONField()
    # Where it came from, in words a user reads ("Optimizer: share 50%, cap 20%", "Edited on screen", a file name).
    source = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="plandraft_org_name_uniq")]

    def __str__(self) -> str:
        return self.name


# --- integrations: API keys, idempotent API writes, webhooks (SPEC section 16) -------------------------------


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiKey(TenantModel):
    """A key a program uses to call /api/v1/ for this organization. The key itself is shown once; what is stored
    is its public `prefix` (to find the row) and a keyed HMAC digest of the whole key (oteapp/api/keys.py)."""

    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "prefix"], name="apikey_org_prefix_uniq")]
        # The one lookup made before the organization is known (a request's bearer key): by prefix alone. The one
        # index of a tenant table not led by organization_id (tests/tenancy/test_schema.py).
        indexes = [models.Index(fields=["prefix"], name="apikey_prefix_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.WRITE


class IdempotentRequest(TenantModel):
    """The first answer to an API write sent with an `Idempotency-Key`: a retry with the same key gets it again."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # the request's method, path and body, hashed
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "api_key", "key"], name="idempotent_org_key_uniq")
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="idempotent_org_created_idx")]

    def __str__(self) -> str:
        return f"Idempotency-Key {self.key}"


class WebhookEventType(models.TextChoices):
    MONTH_CLOSED = "month.closed", "month.closed: a month was closed and its snapshot frozen"
    PAYOUTS_APPROVED = "payouts.approved", "payouts.approved: a month's payouts were approved"
    ACTUALS_CHANGED = "actuals.changed", "actuals.changed: actuals were entered, imported or removed"


class WebhookEndpoint(TenantModel):
    """A URL of the organization's that receives signed events (Standard Webhooks)."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100)  # "whsec_" + base64; the organization's admins may read it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the first failed attempt after a success, cleared by a success: 24 h failing disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "created_at"], name="webhook_endpoint_org_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(TenantModel):
    """One event as sent to every endpoint subscribed to it (the same `webhook-id` on each retry)."""

    message_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "message_id"], name="webhook_event_msg_uniq")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookDeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantModel):
    """One event to one endpoint: retried with exponential backoff until it succeeds or 24 h have passed."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    state = models.CharField(max_length=10, choices=WebhookDeliveryState.choices, default=WebhookDeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "endpoint", "event"], name="webhook_delivery_uniq")
        ]
        indexes = [
            models.Index(fields=["organization", "endpoint", "-created_at"], name="webhook_delivery_endpoint_idx"),
            # The sweep's rows (oteapp.webhooks.delivery.webhook_deliveries_due): the pending ones only.
            models.Index(
                fields=["organization", "next_attempt_at"],
                condition=models.Q(state="pending"),
                name="webhook_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id}: {self.state}"


class WebhookAttempt(TenantModel):
    """One HTTP request of a delivery, as the endpoint answered it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", db_index=False)
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        indexes = [models.Index(fields=["organization", "delivery"], name="webhook_attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"Attempt of {self.delivery_id}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
