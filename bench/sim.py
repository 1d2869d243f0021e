"""A discrete-event simulation on a virtual clock.

Plain events are callbacks run at a virtual time. Code that sleeps in the middle of its work (the
real upload handler, with botocore's retry sleeps) runs as a *process*: a thread that runs only
while the scheduler waits for it, and hands control back whenever it sleeps or ends. Exactly one
thread runs at a time, so a run is deterministic and nothing needs a lock.
"""

import heapq
import itertools
import math
import threading
from collections.abc import Callable
from datetime import datetime, timezone

# Virtual time 0 is this moment of the wall clock (time.time(), what S3 and SQS stamp).
EPOCH = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc).timestamp()


class Simulation:
    def __init__(self) -> None:
        self.now = 0.0
        self._events: list = []
        self._order = itertools.count()
        self._back = _blocked_lock()
        self.current: "Process | None" = None

    def at(self, time: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (max(time, self.now), next(self._order), action))

    def after(self, delay: float, action: Callable[[], None]) -> None:
        self.at(self.now + delay, action)

    def run(self, until: float = math.inf) -> None:
        while self._events and self._events[0][0] <= until:
            self.now, _, action = heapq.heappop(self._events)
            action()

    def next_event(self) -> float:
        return self._events[0][0] if self._events else math.inf

    def spawn(self, body: Callable[[], object], on_end: Callable[["Process"], None]) -> "Process":
        """Run `body()` as a process from now on; `on_end(process)` when it returns or raises."""
        process = Process(self, body, on_end)
        self.at(self.now, process.resume)
        return process

    def sleep(self, seconds: float) -> None:
        """Called from inside a process: let virtual time pass for it."""
        process = self.current
        if process is None:
            raise RuntimeError("sleep() outside a simulated process: the simulation would stop")
        self.at(self.now + max(seconds, 0.0), process.resume)
        self._back.release()
        process._go.acquire()


def _blocked_lock() -> threading.Lock:
    """A lock held from the start: `acquire()` waits until another thread calls `release()`
    (a plain lock does this with less work than a Semaphore)."""
    lock = threading.Lock()
    lock.acquire()
    return lock


class InvocationTimedOut(BaseException):
    """Lambda stopped the invocation at its timeout. Raised at the function's first AWS call past
    its deadline (`Process.deadline`); a BaseException, so that no `except Exception` of the
    function carries on as if nothing happened."""


class Process:
    def __init__(self, sim: Simulation, body: Callable[[], object], on_end: Callable[["Process"], None]) -> None:
        self._sim, self._body, self._on_end = sim, body, on_end
        self.deadline = math.inf
        """When the invocation it runs times out (virtual time)."""
        self._go = _blocked_lock()
        self.result: object = None
        self.error: BaseException | None = None
        self.ended = False
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        self._go.acquire()
        try:
            self.result = self._body()
        except BaseException as error:  # noqa: BLE001 - handed to on_end, as Lambda reports a crash
            self.error = error
        self.ended = True
        self._sim._back.release()

    def resume(self) -> None:
        sim = self._sim
        sim.current = self
        self._go.release()
        sim._back.acquire()
        sim.current = None
        if self.ended:
            self._thread.join()
            self._on_end(self)


class VirtualClock:
    """What a function's `clock` needs (`time()`, `monotonic()`, `sleep()`), and `time.sleep`
    for botocore."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim

    def monotonic(self) -> float:
        return self._sim.now

    def time(self) -> float:
        return EPOCH + self._sim.now

    def datetime(self) -> type:
        """A `datetime` class whose now() is virtual, for modules that read the wall clock that
        way (the reconciler's CloudWatch window)."""
        clock = self

        class VirtualDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return cls.fromtimestamp(clock.time(), tz)

        return VirtualDatetime

    def sleep(self, seconds: float) -> None:
        self._sim.sleep(seconds)


class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; starts full."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._tokens, self._when = burst, 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._when) * self.rate)
        self._when = now

    def take(self, now: float) -> bool:
        self._refill(now)
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def next_token(self, now: float) -> float:
        """When the next token is there (now if one is)."""
        self._refill(now)
        return now + max(0.0, (1 - self._tokens) / self.rate) + 1e-9


class PerSecond:
    """Event times, for the most events within any one second (a sliding window)."""

    def __init__(self) -> None:
        self._times: list[float] = []

    def add(self, now: float) -> None:
        self._times.append(now)

    def peak(self) -> int:
        times, most, first = self._times, 0, 0
        for last, time in enumerate(times):
            while time - times[first] >= 1.0:
                first += 1
            most = max(most, last - first + 1)
        return most

    def total(self) -> int:
        return len(self._times)
