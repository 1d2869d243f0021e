"""One run of a workload through either design, and what it shows.

The buffered design (`run_queue`): S3 writes each upload and sends its notification to the upload
queue; the event source mapping hands batches to the real `function/handler.py`; the real
`function/reconcile.py` runs on its schedule; the completion function is modelled
(bench/sim_reconcile.py). Every AWS call of the two functions goes through their own botocore
clients to the simulated services. The previous direct design (`run_direct`) is modelled
(bench/sim_direct.py).
"""

import contextlib
import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from datetime import datetime, timezone

import boto3
import naming
from botocore.retries.quota import RetryQuota
from daily import DailyCounts
from ledger import Ledger

from bench.common import ROOT, patched
from bench.sim import Simulation, VirtualClock
from bench.sim_aws import LambdaFunction, LambdaQuotas, Queue, Transcribe, TranscribeQuotas
from bench.sim_direct import DirectDesign, DirectPolicy
from bench.sim_dynamodb import Table
from bench.sim_http import FakeAws
from bench.sim_queue import EventSourceMapping, load_function, s3_queue_body
from bench.sim_reconcile import CompletionModel, DirectClient, Scheduler, load_reconciler
from bench.sim_s3 import Buckets
from bench.sim_services import Services

S3_SAMPLE = ROOT.parent / "shared" / "aws-samples" / "s3-events" / "awsdocs-s3.put-event.json"
CALL_SECONDS = 0.05
# DynamoDB answers in "single-digit milliseconds" (Amazon DynamoDB Developer Guide, "What is
# Amazon DynamoDB?"): the top of that range, network included.
LEDGER_CALL_SECONDS = 0.01


def call_seconds(operation: str) -> float:
    return LEDGER_CALL_SECONDS if operation.startswith("DynamoDB.") else CALL_SECONDS
SEED = 7
KEY_PREFIX = "scale/upload-"
MEDIA_BYTES = 10_000_000


@dataclass(frozen=True)
class Workload:
    uploads: int
    window: float
    media_minutes: float = 10.0
    """How long each recording is: a job takes 0.3 × this (issue 10's figure)."""

    @property
    def name(self) -> str:
        length = "" if self.media_minutes == 10 else f" of {self.media_minutes / 60:g}-hour recordings"
        return f"{self.uploads:,} uploads{length} in {self.window:,g} s"

    @property
    def job_seconds(self) -> float:
        return 0.3 * self.media_minutes * 60

    def arrivals(self) -> list[float]:
        return [self.window * index / self.uploads for index in range(self.uploads)]


@dataclass
class Outcome:
    design: str
    workload: Workload
    uploads: int
    started: int
    dead_letters: int
    still_queued: int
    last_start: float
    minimum: float
    peak_attempts: int
    peak_accepted: int
    attempts: int
    invocations: int
    environments: int
    gb_seconds: float
    cost: float
    vanished: int
    """Uploads that are neither a started job nor a message in any queue."""
    notes: dict = field(default_factory=dict)
    ledger: dict = field(default_factory=dict)
    """The ledger and reconciler figures of the buffered design (see `run_queue`)."""


def upload_key(index: int) -> str:
    return f"{KEY_PREFIX}{index:06d}.mp3"


def upload_of_key(key: str) -> int:
    return int(key.rsplit(KEY_PREFIX, 1)[1].split(".", 1)[0])


def run_direct(workload: Workload, transcribe_quotas: TranscribeQuotas, lambda_quotas: LambdaQuotas,
               memory_mb: int, timeout: float, minimum: float) -> Outcome:  # fmt: skip
    sim = Simulation()
    transcribe = Transcribe(sim, transcribe_quotas)
    function = LambdaFunction(sim, lambda_quotas, memory_mb, timeout, RetryQuota)
    design = DirectDesign(sim, transcribe, function, DirectPolicy(call_seconds=CALL_SECONDS), seed=SEED)
    for index, arrival in enumerate(workload.arrivals()):
        sim.at(arrival, lambda index=index: design.upload(index))
    sim.run()
    failed = {event.upload for event in design.failure_queue}
    return _outcome("direct (previous)", workload, sim, transcribe, function, minimum,
                    started=len(design.started), dead_letters=len(design.failure_queue), still_queued=0,
                    vanished=workload.uploads - len(design.started | failed),
                    notes={"botocore retries": design.botocore_retries, "retries refused by the retry quota": design.quota_refusals})  # fmt: skip


def run_queue(workload: Workload, transcribe_quotas: TranscribeQuotas, lambda_quotas: LambdaQuotas, settings, minimum: float,
              lost_events: float = 0.0) -> Outcome:  # fmt: skip
    """The buffered design with the ledger and the reconciler; `settings` a QueueDesignSettings,
    `lost_events` the share of Transcribe's job-state events that never arrive."""
    random.seed(SEED)  # the handler's and botocore's jitter: the same run every time
    sim = Simulation()
    clock = VirtualClock(sim)
    transcribe = Transcribe(sim, transcribe_quotas)
    dead_letters = Queue(sim, settings.dead_letter_name, retention=settings.retention)
    uploads = Queue(sim, settings.queue_name, settings.visibility, settings.retention, dead_letters, settings.max_receive)
    buckets = Buckets(sim, [settings.bucket, settings.output_bucket])
    table = Table(settings.ledger_table, "media", "version", {"pending": ("pending", "due")})
    direct = DirectClient(table)
    completion = CompletionModel(sim, transcribe, Ledger(direct, table.name, clock=clock.time), DailyCounts(direct, table.name),
                                 buckets, settings.output_bucket, lost_events, SEED)  # fmt: skip
    services = Services(sim, transcribe, [uploads, dead_letters], upload_of_key, completion.invoked)
    aws = FakeAws(sim, call_seconds)
    for handlers in (services.handlers(), table.handlers(), buckets.handlers()):
        aws.serve(handlers)
    copies = iter(range(1, 1_000_000))
    function = LambdaFunction(sim, lambda_quotas, settings.memory_mb, settings.timeout,
                              lambda: load_function("handler", next(copies), clock))  # fmt: skip
    mapping = EventSourceMapping(sim, uploads, function, settings.mapping)
    reconciler = LambdaFunction(sim, lambda_quotas, settings.reconciler.memory_mb, settings.reconciler.timeout,
                                lambda: load_reconciler(next(copies), clock, aws, settings.reconciler.environ))  # fmt: skip
    # The schedule runs while uploads wait in the queue or the ledger has items queued or started.
    busy = lambda: bool(uploads.messages) or table.indexed("pending") > 0  # noqa: E731
    scheduler = Scheduler(sim, reconciler, settings.reconciler.period, settings.reconciler.period, busy)
    template = json.loads(S3_SAMPLE.read_text())

    def upload(index: int) -> None:
        key, etag = upload_key(index), f"{index:032x}"
        buckets.put(settings.bucket, key, MEDIA_BYTES, etag)
        uploads.send(s3_queue_body(template, settings.bucket, key, index, _iso(clock.time()), MEDIA_BYTES, etag), index)

    for index, arrival in enumerate(workload.arrivals()):
        sim.at(arrival, lambda index=index: upload(index))
    with _on_virtual_time(aws.session("upload"), settings.environ):
        sim.run()
    queued = {m.upload for m in uploads.messages.values()}
    in_dead_letters = {m.upload for m in dead_letters.messages.values()}
    states, problems = audit(workload, settings.bucket, table, services, transcribe, completion, queued, in_dead_letters)
    figures = {
        "calls": {caller: dict(sorted(counts.items())) for caller, counts in sorted(aws.calls.items())},
        "states": dict(sorted(states.items())), "problems": problems,
        "most starts of one upload": max(services.starts.values(), default=0),
        "carried over": services.sent[("upload", uploads.name, "s3")] + services.sent[("upload", uploads.name, "resend")]
        + services.sent[("upload", uploads.name, "reconcile")],
        "re-sent by the reconciler": services.sent[("reconcile", uploads.name, "resend")],
        "unrecorded sent by the reconciler": services.sent[("reconcile", uploads.name, "reconcile")],
        "job-state events lost": len(completion.lost), "repaired by the reconciler": len(completion.recovered),
        "longest repair": max(completion.recovered.values(), default=0.0),
        "reconciler runs": len(scheduler.runs), "longest run": max((r.seconds for r in scheduler.runs), default=0.0),
        "reconciler errors": [r.error for r in scheduler.runs if r.error][:3], "reconciler timeouts": scheduler.timeouts,
        "reconciler GB-s": reconciler.gb_seconds, "reconciler cost": reconciler.cost,
        "request units": {"read": table.capacity.read_units, "write": table.capacity.write_units,
                          "index write": table.capacity.index_write_units},
        "expired in the queue": uploads.expired, "settled at": sim.now, "period": settings.reconciler.period,
    }  # fmt: skip
    return _outcome("queue (this design)", workload, sim, transcribe, function, minimum,
                    started=len(services.started), dead_letters=len(dead_letters.messages),
                    still_queued=len(queued - services.started),
                    vanished=workload.uploads - len(services.started | queued | in_dead_letters),
                    notes={"failed invocations": mapping.failed_invocations, "timeouts": mapping.timeouts,
                           "expired in the queue": uploads.expired,
                           "dead letters already started": len(in_dead_letters & services.started)},
                    ledger=figures)  # fmt: skip


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def audit(workload: Workload, bucket: str, table: Table, services: Services, transcribe: Transcribe, completion: CompletionModel,
          queued: set, dead_lettered: set) -> tuple[Counter, list[str]]:  # fmt: skip
    """The ledger's items by state, and every upload whose item does not say what happened to
    it: one item per upload, naming the job started for it, in the state its story implies."""
    by_media: dict[str, list[dict]] = {}
    for item in table.items():
        if not item["media"]["S"].startswith("#"):
            by_media.setdefault(item["media"]["S"], []).append(item)
    states = Counter(item["state"]["S"] for items in by_media.values() for item in items)
    problems = []
    for index in range(workload.uploads):
        key = upload_key(index)
        items = by_media.get(naming.ledger_id(bucket, key), [])
        if len(items) != 1:
            problems.append(f"{key}: {len(items)} ledger items")
            continue
        item = {name: next(iter(value.values())) for name, value in items[0].items()}
        job = transcribe.jobs.get(item.get("jobName", ""))
        if services.starts[index]:
            if job is None or not job.media.endswith(key):
                expected = "started (the job Transcribe ran)"
            elif job.ended is not None and (item["jobName"] not in completion.lost or item["jobName"] in completion.recovered):
                expected = "completed"
            else:
                expected = "started"
        else:
            expected = "dead-lettered" if index in dead_lettered else "queued" if index in queued else "(vanished)"
        if item["state"] != expected:
            problems.append(f"{key}: ledger says {item['state']}, expected {expected}")
    return states, problems


@contextlib.contextmanager
def _on_virtual_time(session: boto3.Session, environ: dict) -> Iterator[None]:
    """The upload function's environment and its boto3 clients on the fake."""
    saved_environ = dict(os.environ)
    os.environ.update(environ)
    try:
        with patched(boto3, "DEFAULT_SESSION", session):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)


def _outcome(design: str, workload: Workload, sim: Simulation, transcribe: Transcribe, function: LambdaFunction,
             minimum: float, **figures) -> Outcome:  # fmt: skip
    return Outcome(
        design=design, workload=workload, uploads=workload.uploads, last_start=transcribe.last_start, minimum=minimum,
        peak_attempts=transcribe.attempts.peak(), peak_accepted=transcribe.accepted.peak(),
        attempts=transcribe.attempts.total(), invocations=function.invocations, environments=function.environments,
        gb_seconds=function.gb_seconds, cost=function.cost, **figures,
    )  # fmt: skip
