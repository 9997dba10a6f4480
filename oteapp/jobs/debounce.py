"""Debounced work per organization: a burst of changes schedules one Celery task, which takes all that is pending.

The pending tokens (months, "open") are a Redis set next to the broker's queue. The first request of a burst sets
a "scheduled" flag and sends the task with a countdown; the others only add their tokens. The task clears the flag
first (a change from then on schedules a new run), then moves the pending tokens into a claim named after itself,
so a redelivered task (its worker lost) finds them again, and releases the claim when its work is done.

Used by the snapshot refresh after an edit (oteapp/jobs/snapshots.py) and the `actuals.changed` webhook
(oteapp/webhooks/events.py)."""

import functools
from dataclasses import dataclass

import redis

from config.celery import app as celery_app

# Pending and claimed tokens outlive a worker crash long enough for the redelivered task to find them.
PENDING_TTL_SECONDS = 24 * 3600


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    # One client (and its connection pool) per process and URL.
    return redis.Redis.from_url(url)


def _redis() -> redis.Redis:
    # The broker's Redis: the pending work lives next to the queue that will run it.
    return _redis_client(celery_app.conf.broker_url)


@dataclass(frozen=True)
class DebouncedTask:
    key_prefix: str  # e.g. "oteapp:snapshots:refresh"
    task_name: str  # the Celery task, sent by name with the organization's id

    def _key(self, organization_id: int, part: str) -> str:
        return f"{self.key_prefix}:{organization_id}:{part}"

    def request(self, *, organization_id: int, tokens: list[str], countdown: int) -> None:
        """Add `tokens` to the organization's pending set; send the task unless one is already scheduled. Raises
        redis.RedisError or kombu's OperationalError when Redis is down (the caller says what waits)."""
        pending = self._key(organization_id, "pending")
        pipe = _redis().pipeline()
        pipe.sadd(pending, *tokens)
        pipe.expire(pending, PENDING_TTL_SECONDS)
        pipe.set(self._key(organization_id, "scheduled"), "1", nx=True, ex=countdown * 2 + 60)
        if pipe.execute()[-1]:
            celery_app.send_task(self.task_name, args=[organization_id], countdown=countdown)

    def claim(self, *, organization_id: int, claim: str) -> list[str]:
        """The task's tokens: the flag cleared, the pending set moved (atomically) into the claim `claim`, sorted."""
        client = _redis()
        client.delete(self._key(organization_id, "scheduled"))
        claim_key = self._key(organization_id, f"claim:{claim}")
        pending = self._key(organization_id, "pending")
        pipe = client.pipeline()  # MULTI/EXEC: the move is atomic
        pipe.sunionstore(claim_key, [claim_key, pending])
        pipe.delete(pending)
        pipe.expire(claim_key, PENDING_TTL_SECONDS)
        pipe.smembers(claim_key)
        return sorted(token.decode() for token in pipe.execute()[-1])

    def release(self, *, organization_id: int, claim: str) -> None:
        """The claim's work is done."""
        _redis().delete(self._key(organization_id, f"claim:{claim}"))
