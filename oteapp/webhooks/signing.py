"""Standard Webhooks (https://www.standardwebhooks.com): the `webhook-id`, `webhook-timestamp` and
`webhook-signature` headers of a delivery, signed with the endpoint's secret by the `standardwebhooks` package,
the same package receivers use to verify them."""

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105 (the scheme's prefix, not a secret)


def webhook_secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_headers(*, secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(message_id, timestamp, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": "OTE-Dashboard-Webhooks/1",
    }
