"""`python -m bench scale`: bulk uploads at Transcribe's quotas, on a virtual clock.

Each workload runs twice: the buffered design (S3 → upload queue → the real `function/handler.py`
through the event source mapping) and the previous direct design (S3 → Lambda asynchronous
invocation, modelled: see `bench/sim_direct.py`). The figures go to stdout and to the "Scale"
section of `bench/RESULTS.md`.
"""

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import boto3
import botocore.endpoint
from botocore.retries.quota import RetryQuota

from bench import scale_report
from bench.common import ROOT, handler_environ, patched, progress
from bench.results import write_section
from bench.sim import Simulation, VirtualClock
from bench.sim_aws import LambdaFunction, LambdaQuotas, Queue, Transcribe, TranscribeQuotas, earliest_last_start
from bench.sim_direct import DirectDesign, DirectPolicy
from bench.sim_http import FakeAws
from bench.sim_queue import EventSourceMapping, MappingSettings, load_handler, s3_queue_body

S3_SAMPLE = ROOT.parent / "shared" / "aws-samples" / "s3-events" / "awsdocs-s3.put-event.json"
CALL_SECONDS = 0.05
SEED = 7
KEY_PREFIX = "scale/upload-"


@dataclass(frozen=True)
class Workload:
    uploads: int
    window: float

    @property
    def name(self) -> str:
        return f"{self.uploads:,} uploads in {self.window:g} s"

    def arrivals(self) -> list[float]:
        return [self.window * index / self.uploads for index in range(self.uploads)]


WORKLOADS = (Workload(1_000, 60), Workload(10_000, 60), Workload(50_000, 60), Workload(10_000, 1))


@dataclass(frozen=True)
class QueueDesignSettings:
    """What the program declares for the buffered design (read by `declared_queue_design`)."""

    memory_mb: int
    timeout: float
    visibility: float
    retention: float
    max_receive: int
    mapping: MappingSettings
    queue_name: str = "upload-queue"
    dead_letter_name: str = "upload-dead-letters"
    bucket: str = "media-bucket"
    environ: dict = field(default_factory=dict)


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


def upload_key(index: int) -> str:
    return f"{KEY_PREFIX}{index:06d}.mp3"


def upload_of_uri(uri: str) -> int:
    return int(uri.rsplit(KEY_PREFIX, 1)[1].split(".", 1)[0])


def run_direct(workload: Workload, transcribe_quotas: TranscribeQuotas, lambda_quotas: LambdaQuotas,
               memory_mb: int, timeout: float, minimum: float) -> Outcome:
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
                    notes={"botocore retries": design.botocore_retries, "retries refused by the retry quota": design.quota_refusals})


def run_queue(workload: Workload, transcribe_quotas: TranscribeQuotas, lambda_quotas: LambdaQuotas,
              settings: QueueDesignSettings, minimum: float) -> Outcome:
    random.seed(SEED)  # the handler's and botocore's jitter: the same run every time
    sim = Simulation()
    clock = VirtualClock(sim)
    transcribe = Transcribe(sim, transcribe_quotas)
    dead_letters = Queue(sim, settings.dead_letter_name, retention=settings.retention)
    uploads = Queue(sim, settings.queue_name, settings.visibility, settings.retention, dead_letters, settings.max_receive)
    aws = FakeAws(sim, transcribe, [uploads, dead_letters], CALL_SECONDS, upload_of_uri)
    copies = iter(range(1, 1_000_000))
    function = LambdaFunction(sim, lambda_quotas, settings.memory_mb, settings.timeout,
                              lambda: load_handler(next(copies), clock))
    mapping = EventSourceMapping(sim, uploads, function, settings.mapping)
    template = json.loads(S3_SAMPLE.read_text())
    for index, arrival in enumerate(workload.arrivals()):
        body = s3_queue_body(template, settings.bucket, upload_key(index), index, "2026-11-24T09:00:00.000Z")
        sim.at(arrival, lambda body=body, index=index: uploads.send(body, index))
    with _on_virtual_time(clock, aws, settings.environ):
        sim.run()
    queued = {m.upload for m in uploads.messages.values()}
    in_dead_letters = {m.upload for m in dead_letters.messages.values()}
    return _outcome("queue (this design)", workload, sim, transcribe, function, minimum,
                    started=len(aws.started), dead_letters=len(dead_letters.messages),
                    still_queued=len(queued - aws.started),
                    vanished=workload.uploads - len(aws.started | queued | in_dead_letters),
                    notes={"API calls": dict(sorted(aws.calls.items())), "failed invocations": mapping.failed_invocations,
                           "timeouts": mapping.timeouts, "expired in the queue": uploads.expired,
                           "dead letters already started": len(in_dead_letters & aws.started)})


@contextlib.contextmanager
def _on_virtual_time(clock: VirtualClock, aws: FakeAws, environ: dict) -> Iterator[None]:
    """The handler's environment, its boto3 clients on the fake, botocore's retry sleep on the
    virtual clock (`botocore/endpoint.py` calls `time.sleep`)."""
    saved_environ = dict(os.environ)
    os.environ.update(environ)
    try:
        with patched(boto3, "DEFAULT_SESSION", aws.session()), patched(botocore.endpoint, "time", clock):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)


def _outcome(design: str, workload: Workload, sim: Simulation, transcribe: Transcribe, function: LambdaFunction,
             minimum: float, **figures) -> Outcome:
    return Outcome(
        design=design, workload=workload, uploads=workload.uploads, last_start=transcribe.last_start, minimum=minimum,
        peak_attempts=transcribe.attempts.peak(), peak_accepted=transcribe.accepted.peak(),
        attempts=transcribe.attempts.total(), invocations=function.invocations, environments=function.environments,
        gb_seconds=function.gb_seconds, cost=function.cost, **figures,
    )


def declared_queue_design() -> QueueDesignSettings:
    """The buffered design as the program declares it for the dev stack (under Pulumi mocks)."""
    from bench.common import declared_upload_function

    declared = declared_upload_function()
    program = declared["program"]
    function = program.named("upload-handler-lambda").inputs
    queue = program.named("upload-queue-queue").inputs
    mapping = program.named("upload-source").inputs
    redrive = queue["redrivePolicy"]
    redrive = json.loads(redrive) if isinstance(redrive, str) else redrive
    return QueueDesignSettings(
        memory_mb=int(function["memorySize"]),
        timeout=float(function["timeout"]),
        visibility=float(queue["visibilityTimeoutSeconds"]),
        retention=float(queue["messageRetentionSeconds"]),
        max_receive=int(redrive["maxReceiveCount"]),
        mapping=MappingSettings(int(mapping["batchSize"]), int(mapping["scalingConfig"]["maximumConcurrency"])),
        queue_name=mapping["eventSourceArn"].rsplit(":", 1)[1],
        dead_letter_name=redrive["deadLetterTargetArn"].rsplit(":", 1)[1],
        bucket=declared["media_bucket"],
        environ=handler_environ(),
    )


def run_one(indexed_task: tuple) -> tuple[int, Outcome, float]:
    """One (design, workload) run, what the worker processes are given; with its CPU seconds."""
    index, (design, workload, settings, minimum) = indexed_task
    started = time.process_time()
    quotas, lambda_quotas = TranscribeQuotas(), LambdaQuotas()
    if design == "direct":
        outcome = run_direct(workload, quotas, lambda_quotas, settings.memory_mb, settings.timeout, minimum)
    else:
        outcome = run_queue(workload, quotas, lambda_quotas, settings, minimum)
    return index, outcome, time.process_time() - started


def _worker_start() -> None:
    from bench.common import use_fake_aws, use_repository

    use_repository()
    use_fake_aws()
    logging.disable(logging.INFO)  # the handler's log line per record: half a million lines here
    import metrics

    metrics.emit = lambda line: None  # and its metrics line per invocation, printed
    import bench.sim_queue  # noqa: F401 - boto3 and botocore, imported before the first run


def run_all(workloads=WORKLOADS, workers: int = 2) -> tuple[QueueDesignSettings, list[Outcome]]:
    context = multiprocessing.get_context("spawn")
    # The workers start (and import boto3) while this process evaluates the program.
    with context.Pool(workers, initializer=_worker_start) as pool:
        settings = declared_queue_design()
        minimums = {w: earliest_last_start(w.arrivals(), TranscribeQuotas()) for w in workloads}
        tasks = [(design, w, settings, minimums[w]) for w in workloads for design in ("queue", "direct")]
        # The longest runs first, so that the two workers finish together.
        order = sorted(range(len(tasks)), key=lambda i: (tasks[i][0] != "queue", -tasks[i][1].uploads))
        results: dict[int, Outcome] = {}
        for index, outcome, cpu in pool.imap_unordered(run_one, [(i, tasks[i]) for i in order]):
            progress(f"{outcome.workload.name}, {outcome.design}: {cpu:.1f} s of CPU")
            results[index] = outcome
    return settings, [results[i] for i in range(len(tasks))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md as it is")
    args = parser.parse_args(argv)
    started, load = time.perf_counter(), os.getloadavg()[0]
    settings, outcomes = run_all()
    elapsed = time.perf_counter() - started
    report = scale_report.render(settings, outcomes, elapsed, load)
    print(report)
    if not args.no_write:
        write_section("scale", "Scale: bulk uploads at Transcribe's quotas (`python -m bench scale`)", report)
    return 0
