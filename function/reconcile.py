"""Reconciler: run on a schedule (and by hand, with `{}`), it makes the ledger and the buckets
agree, so that no upload is left behind by a lost event or a long wait. Each run, within its time
and Transcribe's quotas:

1. ended jobs whose completion never ran (Transcribe's events are best effort) are handed to the
   completion function, the same way their own event would have been;
2. uploads still queued when their queue message nears the queue's 14 days, or whose message was
   lost, are sent to the upload queue again;
3. media objects under keyPrefix with no ledger item (a missed or late S3 notification, a file
   that was there before the stack) are recorded and sent to the upload queue, where they start
   at the stack's pace; one that already has its transcript or error note is recorded as done.
   The listing resumes where the last run stopped, and looks only at objects written since the
   last full pass.

It reports what it found and fixed as metrics (stage "reconcile") and returns the same counts.
"""

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import boto3

import naming
from common import RECONCILER_SOURCE, RETRIES, SharedSettings, get_job, shared_settings
import unrecorded
from ledger import FAILED, FIRST_CHECK_AFTER, QUEUED, RESEND_AFTER, STARTED, Ledger
from unrecorded import Place, Sender
from metrics import Metrics
from pace import Pacer
from reconcile_state import PassState, RunState

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

# A media object is looked for in the ledger once it is this old: S3 delivers notifications
# "typically in seconds but can sometimes take a minute or longer" (S3 User Guide, "Amazon S3 Event
# Notifications"), and the upload function records an upload at its message's first receive.
# GRACE_SECONDS changes it (the stack leaves it be; the emulator suite cannot wait 15 minutes).
GRACE = 15 * 60
# Clocks differ: S3's LastModified against this function's.
SLACK = 5 * 60
# A job that ended this recently is left to its own event, which is likely on its way.
END_GRACE = 5 * 60
# The upload queue keeps messages 14 days: with a backlog of unknown age, only objects older than
# this may be taken for missed.
QUEUE_RETENTION = 14 * 24 * 3600
# Transcribe's quotas, shared with the completion function and the media tool (ListTranscriptionJobs
# 5/s, GetTranscriptionJob 30/s): the reconciler keeps well under them.
GET_JOB_RATE = 5.0
# Stop this long before the function's timeout: room to save where the listing stopped.
SAFETY_MARGIN = 30.0
# Shares of the run's time for the completions and the re-sends; the listing has the rest.
COMPLETIONS_SHARE, RESEND_SHARE = 1 / 3, 1 / 6
LIST_PAGE = 1000


@dataclass(frozen=True)
class Settings(SharedSettings):
    media_bucket: str
    key_prefix: str
    upload_queue_url: str
    completion_function: str
    period: float
    """Seconds between scheduled runs (the longest a started job waits for its next look)."""
    grace: float = GRACE

    @classmethod
    def from_environ(cls, env) -> "Settings":
        missing = [name for name in ("MEDIA_BUCKET", "UPLOAD_QUEUE_URL", "COMPLETION_FUNCTION") if not env.get(name)]
        if missing:
            raise ValueError(f"{', '.join(missing)} not set: the reconciler needs the media bucket, the upload queue and the completion function")
        return cls(
            **shared_settings(env), media_bucket=env["MEDIA_BUCKET"], key_prefix=env.get("KEY_PREFIX", ""),
            upload_queue_url=env["UPLOAD_QUEUE_URL"], completion_function=env["COMPLETION_FUNCTION"],
            period=float(env.get("RECONCILE_MINUTES") or 60) * 60, grace=float(env.get("GRACE_SECONDS") or GRACE),
        )  # fmt: skip


@dataclass
class Report:
    """What one run found and did."""

    objects_listed: int = 0
    unrecorded_sent: int = 0
    adopted: int = 0
    completions_recovered: int = 0
    jobs_lost: int = 0
    resent: int = 0
    pass_complete: bool = False

    @property
    def problems(self) -> int:
        """What should not have needed the reconciler: lost notifications and lost job ends."""
        return self.unrecorded_sent + self.completions_recovered + self.jobs_lost


SETTINGS = Settings.from_environ(os.environ)
s3 = boto3.client("s3", config=RETRIES)
sqs = boto3.client("sqs", config=RETRIES)
transcribe = boto3.client("transcribe", config=RETRIES)
lambda_ = boto3.client("lambda", config=RETRIES)
cloudwatch = boto3.client("cloudwatch", config=RETRIES)
dynamodb = boto3.client("dynamodb", config=RETRIES)
clock = time
ledger = Ledger(dynamodb, SETTINGS.ledger_table, clock=lambda: clock.time())
metrics = Metrics(os.environ.get("METRICS_NAMESPACE", ""), "reconcile")


def lambda_handler(event, context):
    if not isinstance(event, dict):
        raise ValueError("the reconciler takes a JSON object ({} or its schedule's event)")
    budget = (context.get_remaining_time_in_millis() / 1000 if context is not None else 300.0) - SAFETY_MARGIN
    run = RunState(dynamodb, SETTINGS.ledger_table, clock=lambda: clock.time())
    if not run.acquire(budget + SAFETY_MARGIN):
        logger.info("another run is in progress: nothing done", extra={"outcome": "skipped"})
        return {"outcome": "skipped", "why": "another run is in progress"}
    report = Report()
    try:
        reconcile(report, clock.monotonic() + budget, budget)
    finally:
        run.release(asdict(report))
        record_metrics(report)
    logger.info("reconciled", extra={"outcome": "reconciled", **asdict(report)})
    return {"outcome": "reconciled", **asdict(report)}


def reconcile(report: Report, deadline: float, budget: float) -> None:
    start = clock.monotonic()
    finish_completions(report, min(deadline, start + budget * COMPLETIONS_SHARE))
    backlog = upload_backlog()
    resend_queued(report, backlog, min(deadline, clock.monotonic() + budget * RESEND_SHARE))
    find_unrecorded(report, backlog, deadline)


# --- 1. ended jobs whose completion never ran ----------------------------------------------------


def finish_completions(report: Report, until: float) -> None:
    now = clock.time()
    pacer = Pacer(GET_JOB_RATE)
    for entry in ledger.due(STARTED, now):
        wait = pacer.reserve(clock.monotonic(), until)
        if wait is None:
            return
        clock.sleep(wait)
        job = get_job(transcribe, entry.job_name)
        if job is None:
            reason = (f"Transcribe has no job {entry.job_name} (deleted, or past its 90 days) and its end was never"
                      " recorded: `mediactl backfill --force KEY` transcribes it again")  # fmt: skip
            ledger.end(entry, FAILED, reason=reason)
            report.jobs_lost += 1
            continue
        status = job.get("TranscriptionJobStatus")
        ended = job.get("CompletionTime")
        if status in ("COMPLETED", "FAILED") and (ended is None or ended.timestamp() < now - min(END_GRACE, SETTINGS.grace)):
            hand_to_completion(entry.job_name, status, job.get("FailureReason", ""))
            report.completions_recovered += 1
        ledger.check_later(entry, now + min(FIRST_CHECK_AFTER * 2 ** (entry.checks + 1), SETTINGS.period))


def hand_to_completion(job_name: str, status: str, reason: str) -> None:
    """Invoke the completion function (asynchronously, with its retries and failure queue) with
    the event Transcribe's own would have been."""
    detail = {"TranscriptionJobName": job_name, "TranscriptionJobStatus": status}
    if reason:
        detail["FailureReason"] = reason
    event = {
        "version": "0", "source": RECONCILER_SOURCE, "detail-type": "Transcribe Job State Change",
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": detail,
    }  # fmt: skip
    lambda_.invoke(FunctionName=SETTINGS.completion_function, InvocationType="Event", Payload=json.dumps(event).encode())
    logger.warning("job ended without its completion: handed to the completion function",
                   extra={"jobName": job_name, "outcome": "completion-recovered"})  # fmt: skip


# --- 2. queued uploads whose message nears its end, or is gone -------------------------------------


@dataclass(frozen=True)
class Backlog:
    messages: int
    """Messages waiting, in flight or delayed in the upload queue (SQS's approximate counts)."""
    oldest_age: float
    """Seconds since the oldest one was sent: 0 with none, the queue's retention when unknown."""


def upload_backlog() -> Backlog:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]
    attributes = sqs.get_queue_attributes(QueueUrl=SETTINGS.upload_queue_url, AttributeNames=names)["Attributes"]
    messages = sum(int(attributes.get(name, 0)) for name in names)
    if not messages:
        return Backlog(0, 0.0)
    now = datetime.now(timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage", Statistics=["Maximum"], Period=60,
        Dimensions=[{"Name": "QueueName", "Value": SETTINGS.upload_queue_url.rstrip("/").rsplit("/", 1)[-1]}],
        StartTime=datetime.fromtimestamp(now.timestamp() - 900, timezone.utc), EndTime=now,
    )["Datapoints"]  # fmt: skip
    # SQS leaves out of this metric a message received three times or more; the upload function
    # records every upload at its first receive, so those are in the ledger already.
    return Backlog(messages, max(point["Maximum"] for point in points) if points else float(QUEUE_RETENTION))


def resend_queued(report: Report, backlog: Backlog, until: float) -> None:
    """Send again what is due (its message nears the queue's retention), and, when the queue is
    empty, what is still queued after the grace period (its message was lost)."""
    now = clock.time()
    sender = Sender(sqs, SETTINGS.upload_queue_url, ledger, "resend")
    for entry in ledger.due(QUEUED, now if backlog.messages else now + ledger_resend_horizon()):
        if clock.monotonic() >= until:
            break
        if (entry.due or 0) > now and (entry.queued_at or now) > now - SETTINGS.grace:
            continue  # just recorded: its message is on its way
        sender.add(entry)
    report.resent += sender.flush()


def ledger_resend_horizon() -> float:
    """With the upload queue empty, every queued upload is due: its message is gone."""
    return float(RESEND_AFTER + QUEUE_RETENTION)


# --- 3. media objects with no ledger item ---------------------------------------------------------


def find_unrecorded(report: Report, backlog: Backlog, deadline: float) -> None:
    state = PassState.load(dynamodb, SETTINGS.ledger_table)
    now = clock.time()
    if state.cursor is None:
        state = state.begin(cutoff=now - max(SETTINGS.grace, backlog.oldest_age + SETTINGS.grace))
    listing = {"Bucket": SETTINGS.media_bucket, "Prefix": SETTINGS.key_prefix, "PaginationConfig": {"PageSize": LIST_PAGE}}
    if state.cursor:
        listing["StartAfter"] = state.cursor
    pages = s3.get_paginator("list_objects_v2").paginate(**listing)
    place = Place(SETTINGS.media_bucket, SETTINGS.output_bucket, SETTINGS.output_prefix, SETTINGS.job_name_prefix,
                  SETTINGS.upload_queue_url)  # fmt: skip
    for page in pages:
        objects = page.get("Contents", [])
        report.objects_listed += len(objects)
        candidates = [o for o in objects if state.should_check(o, SLACK) and naming.media_format(o["Key"])]
        # A page of objects the ledger does not know can take longer to settle than the margin
        # kept before the timeout (two HeadObject calls and two writes each): the run may stop
        # within a page, after a chunk, and the next one goes on after that chunk's last key.
        for chunk in (candidates[i : i + unrecorded.LOOKUP] for i in range(0, len(candidates), unrecorded.LOOKUP)):
            sender = Sender(sqs, SETTINGS.upload_queue_url, ledger, "reconcile")
            found = unrecorded.settle(chunk, place, ledger, s3, sender, "reconcile", log=log_unrecorded)
            report.unrecorded_sent += found.sent
            report.adopted += found.adopted
            if clock.monotonic() >= deadline and chunk[-1] is not candidates[-1]:
                state.at(chunk[-1]["Key"]).save(dynamodb, SETTINGS.ledger_table)
                return
        if objects:
            state = state.at(objects[-1]["Key"])
        if clock.monotonic() >= deadline and page.get("IsTruncated"):
            state.save(dynamodb, SETTINGS.ledger_table)
            return
    state.finish().save(dynamodb, SETTINGS.ledger_table)
    report.pass_complete = True


def log_unrecorded(key: str) -> None:
    logger.warning("media object with no ledger item: sent to the upload queue", extra={"key": key, "outcome": "unrecorded"})


def record_metrics(report: Report) -> None:
    for name, value in (
        ("ObjectsListed", report.objects_listed), ("UnrecordedSent", report.unrecorded_sent), ("Adopted", report.adopted),
        ("CompletionsRecovered", report.completions_recovered), ("JobsLost", report.jobs_lost),
        ("Resent", report.resent), ("ProblemsFound", report.problems),
    ):  # fmt: skip
        metrics.add(name, value)
    metrics.flush()
