"""The reconciler and the completion function in the simulation.

The reconciler is the real `function/reconcile.py`: a simulated EventBridge Scheduler invokes it
with `{}` every period, as a Lambda function of its own (an execution environment that imports
its own copy of the module, its clients on `bench/sim_http.py`, its `clock` and `datetime` on the
virtual clock), for as long as the pipeline has work in flight.

The completion function is modelled, not run: when a job ends, Transcribe writes its JSON
transcript and sends its job-state event on a best-effort basis (a share of them lost, seeded);
an event that arrives, or the reconciler's hand-off (Lambda Invoke), makes the completion
function record the job's end in the ledger as function/completion.py does it (the real
`Ledger.find_job`, `Ledger.end` and `DailyCounts.count_end`), through `DirectClient`: straight to
the simulated table,
without botocore or virtual time (running its five calls per job through botocore would double
the simulation's time). Its .txt, notes and metrics are not modelled.
"""

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3
from botocore.exceptions import ClientError

from daily import day_of

from bench.common import patched
from bench.sim import EPOCH, InvocationTimedOut, Simulation, VirtualClock
from bench.sim_aws import Job, LambdaFunction, Transcribe
from bench.sim_dynamodb import Table
from bench.sim_http import AwsError, FakeAws
from bench.sim_queue import LambdaContext, load_function
from bench.sim_s3 import Buckets

# Between a job's end and its completion function's run: EventBridge delivery and a cold start.
EVENT_DELAY = 2.0


def load_reconciler(copy: int, clock: VirtualClock, aws: FakeAws, environ: dict):
    """A new reconciler environment: its module imported with its own environment variables
    and its clients on the reconciler's session of `aws`."""
    saved = dict(os.environ)
    os.environ.update(environ)
    try:
        with patched(boto3, "DEFAULT_SESSION", aws.session("reconcile")):
            return load_function("reconcile", copy, clock)
    finally:
        os.environ.clear()
        os.environ.update(saved)


class DirectClient:
    """The DynamoDB client calls `function/ledger.py` makes, answered by the table directly;
    errors raise botocore's ClientError with the body DynamoDB would send."""

    def __init__(self, table: Table) -> None:
        self._operations = table.operations()

    def _call(self, operation: str, request: dict) -> dict:
        try:
            return self._operations[f"DynamoDB.{operation}"](request)
        except AwsError as error:
            raise ClientError({"Error": {"Code": error.code, "Message": str(error)}, **error.extra}, operation) from None

    def put_item(self, **request):
        return self._call("PutItem", request)

    def update_item(self, **request):
        return self._call("UpdateItem", request)

    def get_item(self, **request):
        return self._call("GetItem", request)

    def batch_get_item(self, **request):
        return self._call("BatchGetItem", request)

    def get_paginator(self, operation: str):
        if operation != "query":
            raise NotImplementedError(f"DirectClient pages {operation}")
        client = self

        class Pages:
            def paginate(self, **request):
                while True:
                    page = client._call("Query", request)
                    yield page
                    if "LastEvaluatedKey" not in page:
                        return
                    request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}

        return Pages()


@dataclass
class CompletionModel:
    """Transcribe's end of a job (its transcript, its best-effort event) and the completion
    function's ledger update."""

    sim: Simulation
    transcribe: Transcribe
    ledger: object
    """A function/ledger.py `Ledger` on a DirectClient."""
    counts: object
    """A function/daily.py `DailyCounts` on the same client."""
    buckets: Buckets
    output_bucket: str
    lost_share: float = 0.0
    seed: int = 7
    lost: set = field(default_factory=set)
    recovered: dict = field(default_factory=dict)
    """Job name -> seconds from its end to the reconciler's hand-off, for jobs whose event was lost."""
    completions: int = 0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self.transcribe.on_end = self.job_ended

    def job_ended(self, name: str, job: Job) -> None:
        self.buckets.put(self.output_bucket, job.output_key, 2_000, f"transcript-{name}")
        if self._random.random() < self.lost_share:
            self.lost.add(name)
            return
        self.sim.after(EVENT_DELAY, lambda: self.complete(name))

    def invoked(self, function_name: str, event: dict) -> None:
        """The reconciler's asynchronous invocation of the completion function."""
        name = event["detail"]["TranscriptionJobName"]
        job = self.transcribe.jobs[name]
        if name in self.lost and name not in self.recovered:
            self.recovered[name] = self.sim.now - job.ended
        self.sim.after(EVENT_DELAY, lambda: self.complete(name))

    def complete(self, name: str) -> None:
        job = self.transcribe.jobs[name]
        bucket, _, key = job.media.removeprefix("s3://").partition("/")
        entry, _ = self.ledger.find_job(bucket, key, name)
        minutes = round((job.ended - job.started) / 0.3 / 60, 2)  # a job takes 0.3 × the media's length
        if entry is not None:
            self.ledger.end(entry, "completed", minutes=minutes)
        self.counts.count_end(day_of(EPOCH + self.sim.now), completed=True, minutes=minutes)
        self.completions += 1


@dataclass
class RunRecord:
    at: float
    seconds: float
    report: dict
    error: str = ""


class Scheduler:
    """EventBridge Scheduler's rate schedule: invokes the reconciler with `{}` every `period`
    seconds from `first_at`, while `busy()` says the pipeline has work in flight (and for at most
    `max_runs`)."""

    def __init__(self, sim: Simulation, function: LambdaFunction, period: float, first_at: float,
                 busy: Callable[[], bool], max_runs: int = 2_000) -> None:  # fmt: skip
        self._sim, self._function, self.period = sim, function, period
        self._busy, self._max_runs = busy, max_runs
        self.runs: list[RunRecord] = []
        self.timeouts = 0
        self._next = first_at
        sim.at(first_at, self._fire)

    def _fire(self) -> None:
        if not self._busy() or len(self.runs) >= self._max_runs:
            return
        self._next += self.period
        self._sim.at(self._next, self._fire)
        taken = self._function.take()
        if taken is None:
            return  # no concurrency left: this run is skipped (the schedule retries none)
        environment, init = taken
        began = self._sim.now

        def run() -> None:
            deadline = self._sim.now + self._function.timeout
            context = LambdaContext(self._sim, deadline, f"reconcile-{len(self.runs)}", "reconciler")
            process = self._sim.spawn(lambda: environment.state.lambda_handler({}, context),
                                      lambda process: self._ended(environment, process, began, deadline))  # fmt: skip
            process.deadline = deadline

        self._sim.after(init, run)

    def _ended(self, environment, process, began: float, deadline: float) -> None:
        self.timeouts += self._sim.now > deadline or isinstance(process.error, InvocationTimedOut)
        error = f"{type(process.error).__name__}: {process.error}" if process.error else ""
        self.runs.append(RunRecord(began, self._sim.now - began, process.result or {}, error))
        self._function.release(environment, min(self._sim.now, deadline) - began)
