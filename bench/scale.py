"""`python -m bench scale`: bulk uploads at Transcribe's quotas, on a virtual clock.

Each workload runs twice: the buffered design (S3 → upload queue → the real `function/handler.py`
through the event source mapping, the ledger, the real `function/reconcile.py` on its schedule;
see `bench/scale_run.py`) and the previous direct design (S3 → Lambda asynchronous invocation,
modelled: see `bench/sim_direct.py`); then the reconciler alone over buckets of 100,000 and
1,000,000 objects (`bench/reconcile_cost.py`). `--long-backlog` runs the 12-day backlog of issue 17
instead: twelve simulated days of two upload-function instances and an hourly reconciler, every
call through botocore, take tens of minutes, so it has a section of its own. The figures go to
stdout and to their section of `bench/RESULTS.md`.
"""

import argparse
import json
import logging
import multiprocessing
import os
import time
from dataclasses import dataclass, field, replace

from bench import reconcile_cost, reconcile_report, scale_report
from bench.common import handler_environ, progress
from bench.results import write_section
from bench.scale_run import Outcome, Workload, run_direct, run_queue
from bench.sim_aws import LambdaQuotas, TranscribeQuotas, earliest_last_start
from bench.sim_queue import MappingSettings

# The long backlog: a broadcaster's archive, 120,000 two-hour recordings uploaded within an hour
# (issue 17); Transcribe's quotas alone need 12.2 days to start them all.
LONG_BACKLOG = Workload(120_000, 3600, media_minutes=120)
WORKLOADS = (Workload(1_000, 60), Workload(10_000, 60), Workload(50_000, 60), Workload(10_000, 1))
# Transcribe sends its job-state events "on a best-effort basis" and publishes no loss rate: one
# in a thousand is assumed lost, so that every run shows the reconciler repairing them.
LOST_EVENTS = 0.001


@dataclass(frozen=True)
class ReconcilerSettings:
    """What the program declares for the reconciler function and its schedule."""

    memory_mb: int = 512
    timeout: float = 900.0
    period: float = 3600.0
    environ: dict = field(default_factory=dict)


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
    output_bucket: str = "transcripts-bucket"
    ledger_table: str = "ledger"
    environ: dict = field(default_factory=dict)
    reconciler: ReconcilerSettings = field(default_factory=ReconcilerSettings)


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
    reconciler = program.named("reconciler-handler-lambda").inputs
    schedule = program.named("reconciler-schedule").inputs["scheduleExpression"]  # rate(60 minutes)
    minutes = float(schedule.removeprefix("rate(").split()[0])
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
        output_bucket=declared["transcript_bucket"],
        ledger_table=program.outputs["ledgerTableName"],
        environ=handler_environ(),
        reconciler=ReconcilerSettings(int(reconciler["memorySize"]), float(reconciler["timeout"]), minutes * 60,
                                      dict(reconciler["environment"]["variables"])),
    )


def run_one(indexed_task: tuple) -> tuple[int, object, float]:
    """One task, what the worker processes are given: a (design, workload) run, or a reconciler
    case; with its CPU seconds."""
    index, (design, subject, settings, minimum) = indexed_task
    started = time.process_time()
    if design == "reconcile":
        return index, reconcile_cost.measure(subject, settings.reconciler), time.process_time() - started
    quotas, lambda_quotas = replace(TranscribeQuotas(), job_seconds=subject.job_seconds), LambdaQuotas()
    if design == "direct":
        outcome = run_direct(subject, quotas, lambda_quotas, settings.memory_mb, settings.timeout, minimum)
    else:
        outcome = run_queue(subject, quotas, lambda_quotas, settings, minimum, LOST_EVENTS)
    return index, outcome, time.process_time() - started


def _worker_start() -> None:
    from bench.common import use_fake_aws, use_repository

    use_repository()
    use_fake_aws()
    logging.disable(logging.WARNING)  # the functions' log lines per record: millions of lines here
    import metrics

    metrics.emit = lambda line: None  # and their metrics lines, printed
    import bench.sim_queue  # noqa: F401 - boto3 and botocore, imported before the first run


def run_all(workloads=WORKLOADS, cases=reconcile_cost.CASES, workers: int = 2) -> tuple[QueueDesignSettings, list[Outcome], list]:
    """The workloads through both designs and the reconciler's cases, on `workers` processes."""
    context = multiprocessing.get_context("spawn")
    # The workers start (and import boto3) while this process evaluates the program.
    with context.Pool(workers, initializer=_worker_start) as pool:
        settings = declared_queue_design()
        minimums = {w: earliest_last_start(w.arrivals(), replace(TranscribeQuotas(), job_seconds=w.job_seconds)) for w in workloads}
        tasks = [(design, w, settings, minimums[w]) for w in workloads for design in ("queue", "direct")]
        tasks += [("reconcile", case, settings, None) for case in cases]
        # The longest first, so that the two workers finish together.
        order = sorted(range(len(tasks)), key=lambda i: -_expected_seconds(tasks[i]))
        results: dict[int, object] = {}
        for index, result, cpu in pool.imap_unordered(run_one, [(i, tasks[i]) for i in order]):
            design, subject = tasks[index][:2]
            progress(f"{subject.name}, {design}: {cpu:.1f} s of CPU")
            results[index] = result
    ordered = [results[i] for i in range(len(tasks))]
    return settings, [r for r in ordered if isinstance(r, Outcome)], [r for r in ordered if not isinstance(r, Outcome)]


def _expected_seconds(task: tuple) -> float:
    """Roughly the CPU seconds a task takes (for the order only)."""
    design, subject = task[:2]
    if design == "reconcile":
        return subject.objects / 10_000 * (1 if subject.situation == "steady" else 4)
    return subject.uploads * subject.media_minutes / (1_000 if design == "queue" else 20_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md as it is")
    parser.add_argument("--long-backlog", action="store_true",
                        help="only the long backlog of issue 17 (12 simulated days; tens of minutes), in its own section")  # fmt: skip
    args = parser.parse_args(argv)
    started, load = time.perf_counter(), os.getloadavg()[0]
    if args.long_backlog:
        command, section = "python -m bench scale --long-backlog", ("scale-long", "Scale: a 12-day backlog (`python -m bench scale --long-backlog`)")
        settings, outcomes, costs = run_all((LONG_BACKLOG,), ())
    else:
        command, section = "python -m bench scale", ("scale", "Scale: bulk uploads at Transcribe's quotas (`python -m bench scale`)")
        settings, outcomes, costs = run_all()
    elapsed = time.perf_counter() - started
    report = scale_report.render(settings, outcomes, elapsed, load, command)
    if costs:
        report += "\n\n" + reconcile_report.render(costs)
    print(report)
    if not args.no_write:
        write_section(*section, report)
    return 0
