"""The simulated services: Amazon Transcribe's job quotas, Lambda's concurrency and scaling, and
SQS queues with their redrive to a dead-letter queue. Quotas are parameters; `bench/scale.py`
holds the figures and their sources."""

import heapq
import itertools
import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.sim import PerSecond, Simulation, TokenBucket

THROTTLED = "LimitExceededException"
QUEUE_FULL = "LimitExceededConcurrentJobException"
CONFLICT = "ConflictException"


@dataclass(slots=True)
class Job:
    """One accepted transcription job: when it was accepted, started running and ended."""

    created: float
    media: str = ""
    output_key: str = ""
    started: float | None = None
    ended: float | None = None

    @property
    def status(self) -> str:
        return "QUEUED" if self.started is None else "IN_PROGRESS" if self.ended is None else "COMPLETED"


@dataclass(frozen=True)
class TranscribeQuotas:
    start_rate: float = 25.0
    start_burst: float = 25.0
    running_jobs: int = 250
    queued_share: float = 0.9
    queued_jobs: int = 10_000
    job_seconds: float = 0.3 * 600


class Transcribe:
    """StartTranscriptionJob behind a token bucket; jobs run on the concurrent-job slots, the rest
    wait in Transcribe's job queue, which runs them on `queued_share` of the slots."""

    def __init__(self, sim: Simulation, quotas: TranscribeQuotas) -> None:
        self._sim, self.quotas = sim, quotas
        self._bucket = TokenBucket(quotas.start_rate, quotas.start_burst)
        self._running = 0
        self._queued: deque[tuple[str, Job]] = deque()
        self.jobs: dict[str, Job] = {}
        self.attempts, self.accepted = PerSecond(), PerSecond()
        self.refused: Counter[str] = Counter()
        self.last_start = 0.0
        self.on_end: Callable[[str, Job], None] = lambda name, job: None
        """Called as a job ends (where Transcribe sends its job-state event)."""

    def start(self, name: str, media: str = "", output_key: str = "") -> str | None:
        """None when the job is accepted, else the error code AWS would answer."""
        now = self._sim.now
        self.attempts.add(now)
        code = self._refusal(name, now)
        if code:
            self.refused[code] += 1
            return code
        job = self.jobs[name] = Job(now, media, output_key)
        if self._queued or self._running >= self.quotas.running_jobs:
            self._queued.append((name, job))
        else:
            self._run(name, job)
        self.accepted.add(now)
        self.last_start = now
        return None

    def _refusal(self, name: str, now: float) -> str | None:
        if not self._bucket.take(now):
            return THROTTLED
        if name in self.jobs:
            return CONFLICT
        if (self._queued or self._running >= self.quotas.running_jobs) and len(self._queued) >= self.quotas.queued_jobs:
            return QUEUE_FULL
        return None

    def _run(self, name: str, job: Job) -> None:
        self._running += 1
        job.started = self._sim.now
        self._sim.after(self.quotas.job_seconds, lambda: self._finish(name, job))

    def _finish(self, name: str, job: Job) -> None:
        self._running -= 1
        job.ended = self._sim.now
        self.on_end(name, job)
        if self._queued and self._running < self.quotas.queued_share * self.quotas.running_jobs:
            self._run(*self._queued.popleft())


def earliest_last_start(arrivals: list[float], quotas: TranscribeQuotas) -> float:
    """When the last job starts if every StartTranscriptionJob call came the moment the quotas
    allow it (a token in the bucket and room in the running or queued jobs) and never earlier than
    its upload: the minimum the quotas impose, computed from the quotas alone."""
    sim = Simulation()
    transcribe = Transcribe(sim, quotas)
    when = 0.0
    for index, arrival in enumerate(sorted(arrivals)):
        when = max(when, arrival)
        while True:
            sim.run(until=when)
            sim.now = when
            code = transcribe.start(f"job-{index}")
            if code is None:
                break
            when = transcribe._bucket.next_token(when) if code == THROTTLED else sim.next_event()
    return transcribe.last_start


@dataclass(frozen=True)
class LambdaQuotas:
    account_concurrency: int = 1_000
    new_environments: int = 1_000
    per_seconds: float = 10.0
    init_seconds: float = 0.3
    price_per_gb_second: float = 0.0000133334
    price_per_request: float = 0.20 / 1_000_000


@dataclass
class Environment:
    state: object
    invocations: int = 0


class LambdaFunction:
    """Execution environments of one function within the account's concurrency: an idle one is
    reused, a new one needs a scaling token (1,000 per 10 s) and pays the init time."""

    def __init__(self, sim: Simulation, quotas: LambdaQuotas, memory_mb: int, timeout: float,
                 new_state: Callable[[], object]) -> None:
        self._sim, self.quotas = sim, quotas
        self.memory_mb, self.timeout = memory_mb, timeout
        self._new_state = new_state
        self._scaling = TokenBucket(quotas.new_environments / quotas.per_seconds, quotas.new_environments)
        self._idle: list[Environment] = []
        self.busy = 0
        self.environments = 0
        self.invocations = 0
        self.billed_ms = 0
        self.on_release: Callable[[], None] = lambda: None

    def take(self) -> tuple[Environment, float] | None:
        """An environment and its init time (0 when warm), or None: then try again at `retry_at()`."""
        if self.busy >= self.quotas.account_concurrency:
            return None
        if self._idle:
            environment, init = self._idle.pop(), 0.0
        elif self._scaling.take(self._sim.now):
            environment, init = Environment(self._new_state()), self.quotas.init_seconds
            self.environments += 1
        else:
            return None
        self.busy += 1
        self.invocations += 1
        environment.invocations += 1
        return environment, init

    def retry_at(self) -> float:
        """When `take()` may succeed again, if no invocation ends before."""
        return self._scaling.next_token(self._sim.now)

    def cancel(self, environment: Environment) -> None:
        """Give back an environment taken for an invocation that did not happen."""
        self.busy -= 1
        self.invocations -= 1
        environment.invocations -= 1
        self._idle.append(environment)

    def release(self, environment: Environment, billed_seconds: float) -> None:
        self.busy -= 1
        self._idle.append(environment)
        self.billed_ms += math.ceil(billed_seconds * 1000)
        self._sim.after(0, self.on_release)

    @property
    def gb_seconds(self) -> float:
        return self.billed_ms / 1000 * self.memory_mb / 1024

    @property
    def cost(self) -> float:
        return self.gb_seconds * self.quotas.price_per_gb_second + self.invocations * self.quotas.price_per_request


@dataclass
class Message:
    id: str
    body: str
    sent: float
    upload: int | None = None
    attributes: dict = field(default_factory=dict)
    receive_count: int = 0
    visible_at: float = 0.0
    receipt: str = ""
    first_receive: float | None = None


class Queue:
    """An SQS standard queue: visibility timeout, receive count, redrive to `dead_letters` once a
    message is received more than `max_receive` times, deletion after `retention` seconds."""

    def __init__(self, sim: Simulation, name: str, visibility: float = 30.0, retention: float = 4 * 86_400,
                 dead_letters: "Queue | None" = None, max_receive: int = 0) -> None:
        self._sim, self.name = sim, name
        self.visibility, self.retention = visibility, retention
        self.dead_letters, self.max_receive = dead_letters, max_receive
        self.messages: dict[str, Message] = {}
        self._receipts: dict[str, str] = {}
        self._visible: list = []
        self._ids = itertools.count(1)
        self.expired = 0
        self.on_visible: Callable[[], None] = lambda: None

    def send(self, body: str, upload: int | None = None, attributes: dict | None = None) -> Message:
        message = Message(f"{self.name}-{next(self._ids)}", body, self._sim.now, upload, attributes or {})
        self.messages[message.id] = message
        self._show(message, self._sim.now)
        return message

    def has_visible(self) -> bool:
        while self._visible:
            visible_at, _, message = self._visible[0]
            if self.messages.get(message.id) is message and message.visible_at == visible_at:
                return visible_at <= self._sim.now
            heapq.heappop(self._visible)
        return False

    def receive(self, limit: int) -> list[Message]:
        received: list[Message] = []
        now = self._sim.now
        while self._visible and self._visible[0][0] <= now and len(received) < limit:
            visible_at, _, message = heapq.heappop(self._visible)
            if self.messages.get(message.id) is not message or message.visible_at != visible_at:
                continue
            if now - message.sent > self.retention:
                self.expired += 1
                self._forget(message)
            elif self.dead_letters and message.receive_count >= self.max_receive:
                self._forget(message)
                self.dead_letters.send(message.body, message.upload, message.attributes)
            else:
                message.receive_count += 1
                message.first_receive = message.first_receive or now
                message.receipt = f"{message.id}/{message.receive_count}"
                self._receipts[message.receipt] = message.id
                self._show(message, now + self.visibility)
                received.append(message)
        return received

    def live(self):
        """The messages not yet past the retention (SQS deletes those), oldest first."""
        oldest = self._sim.now - self.retention
        return (m for m in self.messages.values() if m.sent >= oldest)

    def counts(self) -> tuple[int, int]:
        """(visible, in flight): ApproximateNumberOfMessages and ...NotVisible."""
        now, visible, in_flight = self._sim.now, 0, 0
        for message in self.live():
            if message.visible_at > now:
                in_flight += 1
            else:
                visible += 1
        return visible, in_flight

    def oldest_age(self, receive_threshold: int = 3) -> float | None:
        """ApproximateAgeOfOldestMessage: the oldest message's age, leaving out those received
        `receive_threshold` times or more; 0 when all are; None when the queue is empty."""
        any_message = False
        for message in self.live():
            any_message = True
            if message.receive_count < receive_threshold:
                return self._sim.now - message.sent
        return 0.0 if any_message else None

    def delete(self, receipt: str) -> bool:
        message = self._by_receipt(receipt)
        if message:
            self._forget(message)
        return message is not None

    def change_visibility(self, receipt: str, seconds: float) -> bool:
        message = self._by_receipt(receipt)
        if message:
            self._show(message, self._sim.now + seconds)
        return message is not None

    def _by_receipt(self, receipt: str) -> Message | None:
        message = self.messages.get(self._receipts.get(receipt, ""))
        return message if message and message.receipt == receipt else None

    def _forget(self, message: Message) -> None:
        del self.messages[message.id]
        self._receipts.pop(message.receipt, None)

    def _show(self, message: Message, when: float) -> None:
        message.visible_at = when
        heapq.heappush(self._visible, (when, next(self._ids), message))
        self._sim.at(when, self.on_visible)
