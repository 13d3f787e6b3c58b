"""When a Flow Service call is re-sent, and how long to wait first: one policy object.

Why our own small policy rather than urllib3's ``Retry`` inside the adapter: only the session
knows the things that decide a retry here (the per-operation deadline, whether a POST may have
been processed, a token to refresh), so the adapter retries nothing and the session asks this
object. Stdlib only, so importing it costs nothing on the provider's start-up path.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = ["RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]

#: Throttled, or a server/gateway failure that may pass.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date); ``None`` if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            return None
        seconds = max(0.0, when - (time.time() if now is None else now))
    if seconds != seconds or seconds < 0 or seconds == float("inf"):  # NaN, negative, infinite
        return None
    return seconds


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter, honouring ``Retry-After``.

    ``safe`` requests (idempotent, or conditional with ``If-Match``) are retried on every status
    of ``statuses`` and on lost answers; an unsafe one (a create) only on 429, which the gateway
    answers without processing anything.

    Connection-level failures (refused, the host name does not resolve, the connect timed out) are
    bounded in time as well as in number: an endpoint that no connection reaches is a wrong setting
    or a server that is down far more often than a blip, and a user should hear so in seconds. A
    connect that takes longer than ``connect_timeout`` is not coming (a request that was connected
    still has ``request_timeout`` to be answered).
    """

    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_jitter: float = 0.5
    backoff_max: float = 30.0
    statuses: frozenset[int] = RETRY_STATUSES
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    #: Seconds a connection may take to open, and the least worth giving a last attempt.
    connect_timeout: float = 5.0
    shortest_connect: float = 0.1
    #: Seconds, from the first connection failure of an endpoint, after which none is retried.
    unreachable_after: float = 12.0

    def retries_unreachable(self, failing_for: float, delay: float) -> bool:
        """Does a retry that waits ``delay`` still have time to connect within the bound for
        connection failures?"""
        return failing_for + delay + self.shortest_connect <= self.unreachable_after

    def retries_status(self, status: int, *, safe: bool) -> bool:
        """Is an answer with this status worth sending the request again?"""
        return status in self.statuses and (safe or status == 429)

    def allows(self, retries_done: int) -> bool:
        """Is there budget for one more retry after ``retries_done``?"""
        return retries_done < self.max_retries

    def backoff(self, failures: int) -> float:
        """``factor * 2**(n-1) + U(0, jitter)`` before retry ``n`` (the first waits too), capped."""
        if failures <= 0:
            return 0.0
        value = self.backoff_factor * (2 ** (failures - 1)) + self.jitter() * self.backoff_jitter
        return float(max(0.0, min(self.backoff_max, value)))

    def delay(self, failures: int, retry_after: str | None = None, now: float | None = None) -> float:
        """What the server asked for, if it did and it parses; else the backoff."""
        asked = parse_retry_after(retry_after, now)
        return asked if asked is not None else self.backoff(failures)
