"""The Advisor's optional written summary (SPEC section 15), by a language model through the official `anthropic`
package, only when the operator sets ANTHROPIC_API_KEY.

What is sent is built here from the recommendations alone: aggregates (money per month, percentages, role names),
never a rep's or a member's name or email, and drafts as "Draft 1", "Draft 2" (their names are typed by people).
The page shows the payload exactly as it is sent. A failure of the service (timeout, refusal, outage) is a clear
message on the page, which is complete without the summary.
"""

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from oteapp.engine.numbers import MONEY, quantize

INSTRUCTIONS = (
    "You advise the sales operations lead of a commission-driven sales team. Below are recommendations computed "
    "from the team's own data, ranked by their projected monthly effect in money, each with its evidence. Write "
    "at most three short paragraphs in plain English: what to do first and why, citing the figures given. Do not "
    "invent figures."
)
MAX_TOKENS = 600


class NarrativeUnavailable(Exception):
    """The summary could not be written; the message says why, for the page."""


def narrative_enabled() -> bool:
    return bool(settings.ANTHROPIC_API_KEY)


def narrative_payload(*, recommendations: Sequence[Any], currency: str) -> dict[str, Any]:
    """The aggregates sent to the model: each recommendation's kind, title, monthly effect and evidence, with the
    drafts' names replaced by "Draft N"."""
    items = []
    drafts = 0
    for rank, item in enumerate(recommendations, start=1):
        title = item.title
        if item.source == "backtest":
            drafts += 1
            title = f"Adopt saved plan draft {drafts}"
        items.append(
            {
                "rank": rank,
                "kind": item.source,
                "title": title,
                "monthly_effect": float(quantize(item.effect, MONEY)),
                "effect_is": item.effect_label if item.source != "backtest" else "EBITDA per month",
                "evidence": list(item.evidence),
            }
        )
    return {"currency": currency, "recommendations": items}


def payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False)


def narrative_write(*, payload: dict[str, Any], http_client: Any = None) -> str:
    """The model's summary of `payload`; raises NarrativeUnavailable when it is not configured or fails.
    `http_client` replaces the network (tests pass an httpx2 client over a MockTransport)."""
    if not narrative_enabled():
        raise NarrativeUnavailable("The written summary is off: the operator has not set ANTHROPIC_API_KEY.")
    # Imported here, not at the top: the client and its HTTP stack add ~50 MB to every web and Celery process,
    # and only this optional call uses them (bench/FINDINGS.md, "Process memory").
    import anthropic

    client = anthropic.Anthropic(
        api_key=settings.ANTHROPIC_API_KEY,
        timeout=settings.ADVISOR_TIMEOUT_SECONDS,
        max_retries=0,
        http_client=http_client,
    )
    try:
        message = client.messages.create(
            model=settings.ADVISOR_MODEL,
            max_tokens=MAX_TOKENS,
            system=INSTRUCTIONS,
            messages=[{"role": "user", "content": payload_text(payload)}],
        )
    except anthropic.APITimeoutError:
        raise NarrativeUnavailable(
            f"The language model did not answer within {settings.ADVISOR_TIMEOUT_SECONDS:g} seconds; the "
            "recommendations above are complete without it. Try again later."
        ) from None
    except anthropic.AnthropicError as error:
        status = getattr(error, "status_code", None)
        detail = f" (HTTP {status})" if status else ""
        raise NarrativeUnavailable(
            f"The language model service failed{detail}; the recommendations above are complete without it."
        ) from None
    text = "".join(getattr(block, "text", "") for block in message.content).strip()
    if not text:
        raise NarrativeUnavailable("The language model returned no text; the recommendations are complete without it.")
    return text
