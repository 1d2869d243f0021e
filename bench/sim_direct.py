"""The previous design, modelled: S3 invokes the upload function asynchronously, one record per
event; the handler (`git show c21b0bb:function/handler.py`) makes one StartTranscriptionJob call,
which botocore retries in standard mode (6 attempts); a failed invocation is retried by Lambda
twice, after 1 and 2 minutes; what still fails, or waits longer than the maximum event age, goes to
the on-failure destination (an SQS queue).

Modelled rather than run: the old handler spends ~18 calls per upload under throttling, about
900,000 botocore calls for 50,000 uploads, which would not fit the benchmark's minute. The model
uses botocore's own retry quota class and reads its costs and backoff from botocore's classes, so
it follows the installed botocore (`botocore/retries/standard.py`, `botocore/retries/quota.py`).
"""

import random
from collections import deque
from dataclasses import dataclass

from botocore.retries.quota import RetryQuota
from botocore.retries.standard import ExponentialBackoff, RetryQuotaChecker

from bench.sim import Simulation
from bench.sim_aws import CONFLICT, THROTTLED, LambdaFunction, Transcribe

THROTTLING_RETRY_COST = RetryQuotaChecker._THROTTLING_RETRY_COST
NO_RETRY_INCREMENT = RetryQuotaChecker._NO_RETRY_INCREMENT
THROTTLING_BASE = ExponentialBackoff._DEFAULT_BACKOFF_CONFIG["throttling_base_scale"]
MAX_BACKOFF = ExponentialBackoff._MAX_BACKOFF


@dataclass(frozen=True)
class DirectPolicy:
    attempts: int = 6
    lambda_retry_delays: tuple[float, ...] = (60.0, 120.0)
    max_event_age: float = 6 * 3600.0
    call_seconds: float = 0.05


@dataclass
class Event:
    upload: int
    created: float
    retries: int = 0


class DirectDesign:
    def __init__(self, sim: Simulation, transcribe: Transcribe, function: LambdaFunction,
                 policy: DirectPolicy, seed: int = 7) -> None:
        self._sim, self._transcribe, self._function, self.policy = sim, transcribe, function, policy
        self._random = random.Random(seed)
        self._pending: deque[Event] = deque()
        self._wake_at = -1.0
        self.failure_queue: list[Event] = []
        self.started: set[int] = set()
        self.botocore_retries = 0
        self.quota_refusals = 0
        function.on_release = self._dispatch

    def upload(self, index: int) -> None:
        self._pending.append(Event(index, self._sim.now))
        self._dispatch()

    def _dispatch(self) -> None:
        while self._pending:
            event = self._pending[0]
            if self._sim.now - event.created > self.policy.max_event_age:
                self._pending.popleft()
                self.failure_queue.append(event)
                continue
            taken = self._function.take()
            if taken is None:
                self._wake(self._function.retry_at())
                return
            self._pending.popleft()
            environment, init = taken
            Invocation(self, event, environment, init)

    def _wake(self, when: float) -> None:
        if self._sim.now <= self._wake_at <= when:
            return  # an earlier wake-up is already on the clock
        self._wake_at = when
        self._sim.at(when, self._dispatch)

    def ended(self, event: Event, environment, billed: float, ok: bool) -> None:
        self._function.release(environment, billed)
        if ok:
            self.started.add(event.upload)
        elif event.retries < len(self.policy.lambda_retry_delays):
            delay = self.policy.lambda_retry_delays[event.retries]
            event.retries += 1
            self._sim.after(delay, lambda: (self._pending.append(event), self._dispatch()))
        else:
            self.failure_queue.append(event)


class Invocation:
    """One run of the old handler: a StartTranscriptionJob call with botocore's standard retries
    on the environment's own retry quota (a module-level client, so one quota per environment)."""

    def __init__(self, design: DirectDesign, event: Event, environment, init: float) -> None:
        self._design, self._event, self._environment = design, event, environment
        self._quota: RetryQuota = environment.state
        self._began = design._sim.now
        self._attempt = 0
        self._acquired = 0
        design._sim.after(init + design.policy.call_seconds, self._call)

    def _call(self) -> None:
        design = self._design
        self._attempt += 1
        code = design._transcribe.start(f"job-{self._event.upload}")
        if code in (None, CONFLICT):
            self._quota.release(self._acquired or NO_RETRY_INCREMENT)
            return self._end(True)
        retryable = code == THROTTLED and self._attempt < design.policy.attempts
        if retryable and self._quota.acquire(THROTTLING_RETRY_COST):
            self._acquired = THROTTLING_RETRY_COST
            design.botocore_retries += 1
            delay = design._random.random() * min(THROTTLING_BASE * 2 ** (self._attempt - 1), MAX_BACKOFF)
            design._sim.after(delay + design.policy.call_seconds, self._call)
            return None
        if retryable:
            design.quota_refusals += 1
        return self._end(False)

    def _end(self, ok: bool) -> None:
        design = self._design
        design.ended(self._event, self._environment, design._sim.now - self._began, ok)
