"""Pacing of calls against a per-second quota, and the backoffs the upload function uses, as
pure arithmetic on times the caller passes in (so a simulation can run them on a virtual clock).
Standard library only: it ships inside the Lambda package."""

import random


class Pacer:
    """Spaces calls at least 1/rate seconds apart. It holds no burst: in any one second an
    instance makes at most rate + 1 calls, so instances sharing a quota stay under it."""

    def __init__(self, rate: float):
        if rate <= 0:
            raise ValueError(f"rate is {rate}: it must be more than 0 calls per second")
        self.interval = 1.0 / rate
        self._next = float("-inf")

    def reserve(self, now: float, deadline: float) -> float | None:
        """Seconds to wait before the next call, which is then booked; None (nothing booked) if
        that call would come after the deadline."""
        at = max(now, self._next)
        if at > deadline:
            return None
        self._next = at + self.interval
        return at - now


def backoff(attempt: int, base: float, cap: float, jitter=random.random) -> float:
    """Exponential backoff with 'equal jitter': between half and all of base * 2**attempt,
    never above cap (attempt counts from 0)."""
    ceiling = min(cap, base * 2**attempt)
    return ceiling / 2 + jitter() * ceiling / 2
