"""What `python -m bench scale` prints: the assumptions with their sources, how the quota minimum is
computed, the figures tables (the designs side by side; the ledger and the reconciler of the
buffered design) and the goals of issues 10 and 17."""

import datetime
import platform

from botocore.retries.quota import RetryQuota

from bench.common import machine
from bench.scale_run import LEDGER_CALL_SECONDS
from bench.sim_aws import LambdaQuotas, TranscribeQuotas
from bench.sim_direct import MAX_BACKOFF, NO_RETRY_INCREMENT, THROTTLING_BASE, THROTTLING_RETRY_COST, DirectPolicy
from bench.sim_reconcile import EVENT_DELAY

QUOTAS_PAGE = 'AWS General Reference, "Amazon Transcribe endpoints and quotas"'
QUEUEING_PAGE = 'Amazon Transcribe Developer Guide, "Job queueing" (the program turns it on: jobQueueing defaults to true)'
LAMBDA_SQS_PAGE = 'AWS Lambda Developer Guide, "Using Lambda with Amazon SQS"'


def assumptions(transcribe: TranscribeQuotas, lambda_quotas: LambdaQuotas, direct: DirectPolicy, queue_design) -> list[tuple[str, str]]:
    t, q, d = transcribe, lambda_quotas, direct
    mapping = queue_design.mapping
    return [
        (f"StartTranscriptionJob: {t.start_rate:g} requests/s, a token bucket holding {t.start_burst:g} (1 s)",
         f"{QUOTAS_PAGE}, StartTranscriptionJob TPS; the bucket size is not published (assumed)"),
        (f"{t.running_jobs} concurrent transcription jobs", f"{QUOTAS_PAGE}, concurrent batch transcription jobs"),
        (f"beyond them up to {t.queued_jobs:,} jobs wait in Transcribe's queue, run on {t.queued_share:.0%} of the slots; "
         "beyond that LimitExceededConcurrentJobException (HTTP 400)", QUEUEING_PAGE),
        ("a job takes 0.3 × its media's length: 180 s for the 10-minute files, 2,160 s for the 2-hour recordings of the "
         "long backlog", "issue 10's ratio, used for every length (not an AWS figure; Transcribe publishes none)"),
        ("throttled StartTranscriptionJob answers LimitExceededException (HTTP 400)",
         "Transcribe API reference, StartTranscriptionJob errors; botocore's Transcribe model"),
        (f"every AWS API call takes {d.call_seconds:g} s, DynamoDB's {LEDGER_CALL_SECONDS:g} s",
         'assumed (not published); DynamoDB: "single-digit millisecond" latency (Amazon DynamoDB Developer Guide, '
         '"What is Amazon DynamoDB?"), the top of that range'),
        (f"Lambda: {q.account_concurrency:,} concurrent executions in the account",
         'AWS Lambda Developer Guide, "Lambda quotas" (default concurrency)'),
        (f"Lambda: {q.new_environments:,} new execution environments per {q.per_seconds:g} s per function, "
         "idle environments reused and never reclaimed", 'AWS Lambda Developer Guide, "Lambda scaling behavior"'),
        (f"Lambda: a new environment's init takes {q.init_seconds:g} s and is billed",
         'assumed duration; billed since 1 Aug 2025 (AWS Compute Blog, "AWS Lambda standardizes billing for INIT Phase")'),
        (f"price: ${q.price_per_gb_second:.10f} per GB-s (arm64, first tier), ${q.price_per_request * 1e6:.2f} per million requests; "
         f"{queue_design.memory_mb} MB, billed per ms; Lambda only (Transcribe's charge is the same for every job started; "
         "SQS requests are not counted)", 'AWS Lambda pricing page, US East (N. Virginia), Arm; memory from the program'),
        ("each new execution environment imports its own copy of function/handler.py (own clients, botocore retry "
         "quota, pacer), its clock the virtual one; each request is answered once botocore has validated and "
         "serialized it, and botocore parses the answer (no signing, no HTTP; the simulation answers no error "
         "botocore would retry to a client that retries, so its retry handler is never needed); an invocation "
         "past its timeout is stopped at its next AWS call",
         "bench/sim_queue.py, bench/sim_http.py"),
        ("botocore standard mode: LimitExceededException and ThrottlingException are throttling errors, retried "
         "(the previous design: 6 attempts; the new handler's own client configuration applies as it is); "
         "LimitExceededConcurrentJobException is neither in that list nor modelled as retryable, so not retried",
         "botocore/retries/standard.py (ThrottledRetryableChecker, ModeledRetryableChecker)"),
        (f"botocore retry quota: {RetryQuota.INITIAL_CAPACITY} per client, a throttled retry costs {THROTTLING_RETRY_COST}, "
         f"a success without retry gives back {NO_RETRY_INCREMENT}; throttling backoff rand() × min({THROTTLING_BASE:g} s × 2^i, {MAX_BACKOFF} s)",
         "botocore/retries/quota.py (RetryQuota), botocore/retries/standard.py (RetryQuotaChecker, ExponentialBackoff)"),
        ("S3 sends one notification (one record) per upload, at once; uploads evenly spread over the window",
         'Amazon S3 User Guide, "Event notification types and destinations" (delivery delay not modelled)'),
        (f"upload queue: visibility {queue_design.visibility:g} s, retention {queue_design.retention / 86400:g} days, "
         f"redrive to the DLQ when received more than {queue_design.max_receive} times",
         'the program (dev stack); Amazon SQS Developer Guide, "Using dead-letter queues"'),
        (f"event source mapping: batches of up to {mapping.batch_size}, at most {mapping.maximum_concurrency} concurrent "
         "invocations, a batch handed out as soon as messages are visible (long polling, no batching window); "
         "batchItemFailures stay in the queue, the rest is deleted; an error, a timeout or an unknown id fails the batch",
         f'the program (dev stack); {LAMBDA_SQS_PAGE}; "Handling errors for an SQS event source in Lambda"'),
        ("the ledger: a DynamoDB table (on demand) with the `pending` index, answering PutItem, UpdateItem, GetItem, "
         "Query and BatchGetItem with their condition, update and key expressions as DynamoDB evaluates them; a Query "
         "page holds up to 1 MB; request units as on-demand billing counts them (index writes included)",
         "Amazon DynamoDB API Reference and Developer Guide (bench/sim_dynamodb.py, bench/sim_expressions.py)"),
        (f"the reconciler: the real function/reconcile.py, invoked with {{}} every {queue_design.reconciler.period / 60:g} "
         f"minutes from one period after the first upload, {queue_design.reconciler.memory_mb} MB, "
         f"{queue_design.reconciler.timeout:g} s timeout; the schedule stops once nothing is queued or started",
         "the program (dev stack: reconcileMinutes, the reconciler function)"),
        ("the upload queue's ApproximateAgeOfOldestMessage leaves out a message received three times or more "
         "(0 when every message has been); its value at the call", 'Amazon SQS Developer Guide, '
         '"Available CloudWatch metrics for Amazon SQS"'),
        (f"Transcribe writes each job's JSON transcript as it ends and sends its job-state event; 1 in 1,000 events is "
         f"lost; one that arrives runs the completion function {EVENT_DELAY:g} s later, which records the end in the "
         "ledger (modelled: the real Ledger.find_job, Ledger.end and DailyCounts.count_end on the simulated table, "
         "without botocore; its .txt and notification not modelled)",
         'Transcribe Developer Guide, monitoring-events: events are "emitted on a best-effort basis" (no loss rate '
         "published: assumed)"),
        (f"previous design: asynchronous invocation, {d.attempts} botocore attempts, Lambda retries after "
         f"{', '.join(f'{s:g}' for s in d.lambda_retry_delays)} s, events older than {d.max_event_age / 3600:g} h dropped "
         "to the on-failure destination", 'git show c21b0bb:function/common.py; AWS Lambda Developer Guide, '
         '"Configuring error handling for asynchronous invocation"'),
    ]


def minimum_method(transcribe: TranscribeQuotas) -> str:
    t = transcribe
    queued_slots = t.queued_share * t.running_jobs
    return (
        "Quota minimum: the last start of a client that calls StartTranscriptionJob the moment the quotas allow "
        f"(a token in the {t.start_rate:g}/s bucket, room among the {t.running_jobs} running or {t.queued_jobs:,} "
        "queued jobs), never before its upload arrives, computed over the modelled Transcribe alone "
        "(`earliest_last_start` in bench/sim_aws.py). In closed form it is about max(last arrival, "
        f"(N − {t.start_burst:g}) / {t.start_rate:g} s, {t.job_seconds:g} s × (1 + (N − {t.queued_jobs:,} − "
        f"{t.running_jobs} − {queued_slots:g}) / {queued_slots:g})): the second term is the request rate, the third "
        f"the job throughput once Transcribe's queue is full ({queued_slots:g} jobs every {t.job_seconds:g} s)."
    )


def clock_time(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def table(outcomes) -> str:
    lines = [
        "| workload | design | jobs started | in a DLQ / failure queue | still queued | vanished | last job start | "
        "quota minimum | ratio | most StartTranscriptionJob in any 1 s, tried / accepted | calls | invocations | GB-s | Lambda cost |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.workload.name} | {o.design} | {o.started:,} | {o.dead_letters:,} | {o.still_queued:,} | {o.vanished:,} | "
            f"{clock_time(o.last_start)} | {clock_time(o.minimum)} | {ratio(o)} | "
            f"{o.peak_attempts:,} / {o.peak_accepted} | {o.attempts:,} | {o.invocations:,} | {o.gb_seconds:,.0f} | ${o.cost:,.4f} |"
        )
    return "\n".join(lines)


def ratio(outcome) -> str:
    """Last start against the minimum; meaningless while uploads are left unstarted."""
    if outcome.started < outcome.uploads:
        return f"— ({outcome.uploads - outcome.started:,} not started)"
    return f"{outcome.last_start / outcome.minimum:.2f}×"


def goals(outcomes, rate: float) -> list[tuple[str, str, bool]]:
    """(goal, figure, met) for the goals of issues 10 and 17, on the buffered design."""
    ours = {o.workload: o for o in outcomes if o.design.startswith("queue")}
    results = []
    for workload, o in ours.items():
        if workload.media_minutes != 10:
            results += [
                (f"{workload.name}: every upload a started job, no manual step", f"{o.started:,}", o.started == o.uploads),
                (f"{workload.name}: 0 in any DLQ", f"{o.dead_letters:,}", o.dead_letters == 0),
                (f"{workload.name}: last start ≤ 1.05 × quota minimum", f"{ratio_figure(o)}",
                 o.started == o.uploads and o.last_start <= 1.05 * o.minimum),
            ]
        if workload.uploads == 50_000:
            results += [
                (f"{workload.name}: every upload a started job", f"{o.started:,}", o.started == o.uploads),
                (f"{workload.name}: 0 messages in any DLQ", f"{o.dead_letters:,}", o.dead_letters == 0),
                (f"{workload.name}: last start ≤ 1.15 × quota minimum", ratio_figure(o), o.last_start <= 1.15 * o.minimum),
                (f"{workload.name}: StartTranscriptionJob attempts ≤ {rate:g} in any 1 s", f"peak {o.peak_attempts}",
                 o.peak_attempts <= rate),
            ]
        if workload.uploads == 10_000:
            bound = workload.uploads / rate
            results.append((f"{workload.name}: last start ≤ 1.15 × 10,000 / {rate:g} s ({clock_time(1.15 * bound)})",
                            f"{clock_time(o.last_start)} ({o.last_start / bound:.3f}×)", o.last_start <= 1.15 * bound))
    for workload, o in ours.items():
        led = o.ledger
        results += [
            (f"{workload.name}: no upload started twice", f"at most {led['most starts of one upload']} per object version",
             led["most starts of one upload"] <= 1),
            (f"{workload.name}: the ledger says what happened to every upload", f"{len(led['problems']):,} disagree",
             not led["problems"]),
            (f"{workload.name}: every lost job end repaired by the next reconciler run (within a period, the 5 minutes "
             "left to the event itself, and the run)",
             f"{led['repaired by the reconciler']:,} of {led['job-state events lost']:,}, the last after {clock_time(led['longest repair'])}",
             led["repaired by the reconciler"] == led["job-state events lost"]
             and led["longest repair"] <= led["period"] + 300 + led["longest run"]),
        ]
    return results


def ratio_figure(o) -> str:
    return f"{o.last_start / o.minimum:.3f}×" if o.started == o.uploads else f"{o.uploads - o.started:,} not started"


def ledger_table(outcomes) -> str:
    """The ledger's and the reconciler's figures of the buffered design."""
    lines = [
        "| workload | carried over by the upload function | re-sent by the reconciler (due / found unrecorded) | "
        "job-state events lost / repaired (longest wait) | reconciler runs (longest, errors) | ledger calls, upload function "
        "(PutItem / UpdateItem / GetItem) | ledger calls, reconciler (Query / BatchGetItem / UpdateItem / PutItem) | "
        "request units read / write | DynamoDB cost | ledger states at the end |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in (o for o in outcomes if o.ledger):
        led, upload, reconcile = o.ledger, o.ledger["calls"].get("upload", {}), o.ledger["calls"].get("reconcile", {})
        units = led["request units"]
        cost = units["read"] * 0.125 / 1e6 + (units["write"] + units["index write"]) * 0.625 / 1e6
        states = ", ".join(f"{name} {count:,}" for name, count in led["states"].items())
        lines.append(
            f"| {o.workload.name} | {led['carried over']:,} | {led['re-sent by the reconciler']:,} / "
            f"{led['unrecorded sent by the reconciler']:,} | {led['job-state events lost']:,} / "
            f"{led['repaired by the reconciler']:,} ({clock_time(led['longest repair'])}) | {led['reconciler runs']:,} "
            f"({led['longest run']:.0f} s, {len(led['reconciler errors']) + led['reconciler timeouts']}) | "
            + " / ".join(f"{upload.get('DynamoDB.' + op, 0):,}" for op in ("PutItem", "UpdateItem", "GetItem")) + " | "
            + " / ".join(f"{reconcile.get('DynamoDB.' + op, 0):,}" for op in ("Query", "BatchGetItem", "UpdateItem", "PutItem"))
            + f" | {units['read']:,.0f} / {units['write'] + units['index write']:,.0f} | ${cost:,.4f} | {states} |"
        )
    return "\n".join(lines)


def notes(outcomes) -> list[str]:
    lines = []
    for o in outcomes:
        figures = dict(o.notes)
        if o.ledger:
            figures["API calls"] = {caller: calls for caller, calls in o.ledger["calls"].items()}
            figures["settled at"] = clock_time(o.ledger["settled at"])
        lines.append(f"{o.workload.name}, {o.design}: " + "; ".join(f"{k} {v}" for k, v in figures.items()))
    return lines


def render(settings, outcomes, elapsed: float, load: float, command: str = "python -m bench scale") -> str:
    transcribe = TranscribeQuotas()
    goal_lines = ["| goal (issues 10 and 17), buffered design | figure | met? |", "| --- | --- | --- |"]
    goal_lines += [f"| {goal} | {figure} | {'yes' if met else '**no**'} |" for goal, figure, met in goals(outcomes, transcribe.start_rate)]
    assumption_lines = [f"- {what} — *{source}*" for what, source in assumptions(transcribe, LambdaQuotas(), DirectPolicy(), settings)]
    return "\n".join([
        f"Simulated {datetime.date.today().isoformat()} on {machine()}, Python {platform.python_version()}; "
        f"{elapsed:.0f} s of wall time for the {len(outcomes)} runs (2 worker processes; load average {load:.1f} at the start), "
        f"`{command}`.",
        "",
        "The buffered design runs the real `function/handler.py`, and the real `function/reconcile.py` on its schedule, "
        "every call through their own botocore clients; the previous direct design is modelled (`bench/sim_direct.py`: "
        "running its ~18 calls per upload through botocore would not fit in a minute).",
        "",
        table(outcomes),
        "",
        "The buffered design's ledger and reconciler (DynamoDB cost at $0.125 per million read and $0.625 per million "
        "write request units, on demand, us-east-1, assumed: see the reconciler's section):",
        "",
        ledger_table(outcomes),
        "",
        "\n".join(goal_lines),
        "",
        minimum_method(transcribe),
        "",
        "Assumptions and sources:",
        "",
        "\n".join(assumption_lines),
        "",
        "Per run:",
        "",
        "\n".join(f"- {line}" for line in notes(outcomes)),
    ])
