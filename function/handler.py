"""Upload function: fed by the upload queue (S3 -> SQS -> this function), it starts one Amazon
Transcribe job for each media upload the messages report, at the pace the stack allows.

- A message holds an S3 notification (`Records`; S3's `s3:TestEvent` is skipped), or a request
  the reconciler or the media tool sent (`Requests`, see ledger.request_body).
- Every upload is recorded in the ledger first; the ledger decides whether it still needs a job
  and names that job, so however many times and ways an upload is reported, it starts one job.
- Back-pressure is not failure: throttling, a full Transcribe job queue and Transcribe's or
  DynamoDB's own outages make the function wait and try again, at its pace, while the invocation
  has time; what is still unstarted goes back to the queue (a partial batch response) with a
  visibility backoff, or, nearing the queue's retention, is sent again as a new message.
- A message goes to the dead-letter queue only when it can never start: a body that is not an
  upload report, or an error that is not back-pressure and persists over several receives.

The handler never raises for a batch: it reports every message whose uploads are not all started.
"""

import dataclasses
import functools
import logging
import os
import time
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

import daily
import sqs_batch
from common import RETRIES
from daily import DailyCounts
from job_start import BackPressure, back_pressure, start_upload
from ledger import DELETED, REJECTED, STARTABLE, STARTED, Entry, Ledger
from metrics import Metrics
from pace import Pacer, backoff
from reports import Upload, uploads_of
from sqs_batch import BadRecord, Message
from upload_settings import Settings

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

# Every StartTranscriptionJob attempt goes through the function's own pacing and backoff, so
# botocore makes one attempt only; short timeouts keep a hung call from eating the invocation.
TRANSCRIBE_CALLS = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=5)
LEDGER_CALLS = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=2, read_timeout=3)
# Handing messages back and dead-lettering them happen in the invocation's last seconds.
SQS_CALLS = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=2, read_timeout=3)

# Waits between attempts while Transcribe pushes back, in seconds.
THROTTLE_WAIT = (0.5, 8.0)
QUEUE_FULL_WAIT = (2.0, 10.0)
# Stop starting jobs this long before the invocation's time is up (at most a third of it): room
# for a call started just before (8 s at most, with the timeouts above) and then the visibility
# changes (5 s each attempt), so that the answer to Lambda gets out.
SAFETY_MARGIN = 15.0
# The budget when there is no Lambda context (a local call).
DEFAULT_BUDGET = 30.0

SETTINGS = Settings.from_environ(os.environ)
transcribe = boto3.client("transcribe", config=TRANSCRIBE_CALLS)
dynamodb = boto3.client("dynamodb", config=LEDGER_CALLS)
# Time as the function sees it (time(), monotonic(), sleep()): a simulation replaces it with a
# virtual clock.
clock = time
ledger = Ledger(dynamodb, SETTINGS.ledger_table, clock=lambda: clock.time())
counts = DailyCounts(dynamodb, SETTINGS.ledger_table)
# One pace per function instance: it lasts across the invocations the instance serves.
pacer = Pacer(SETTINGS.start_rate)
# What an invocation counts, written as one metrics line at its end.
metrics = Metrics(os.environ.get("METRICS_NAMESPACE", ""), "upload")
# The outcomes of an upload that are counted, and under which metric.
OUTCOME_METRICS = {"started": "JobsStarted", "duplicate": "Duplicates", "rejected": "RejectedMedia", "held": "BackPressureRetries"}


@functools.cache
def s3():
    """The S3 client, made on first use and kept: only error notes need it, and making it at
    start would add about a third to every cold start (see bench/)."""
    return boto3.client("s3", config=RETRIES)


@functools.cache
def sqs():
    """The SQS client, made on first use: only messages handed back or dead-lettered need it."""
    return boto3.client("sqs", config=SQS_CALLS)


def lambda_handler(event, context):
    try:
        return handle_batch(event, context)
    finally:
        metrics.flush()


def handle_batch(event, context):
    deadline = Deadline.of(context)
    messages = []
    known = {}
    for sqs_record in sqs_batch.sqs_records_of(event):
        message = sqs_batch.message_of(sqs_record, clock.time())
        message.entries = known
        try:
            message.uploads = uploads_of(message.body)
        except BadRecord as error:
            message.unreadable = str(error)
        messages.append(message)
    # Counted at a message's first receive only, so that a message handed back is not counted again.
    metrics.add("UploadsReceived", sum(len(m.uploads) for m in messages if m.receive_count == 1))
    record_first_receives(messages)
    progressed, held_until = start_uploads(messages, deadline)
    failures = settle(messages, progressed, held_until)
    return {"batchItemFailures": [{"itemIdentifier": message.id} for message in failures]}


@dataclass(frozen=True)
class Deadline:
    """When to stop starting jobs, on `clock.monotonic()`'s scale."""

    at: float

    @classmethod
    def of(cls, context) -> "Deadline":
        budget = context.get_remaining_time_in_millis() / 1000 if context is not None else DEFAULT_BUDGET
        return cls(clock.monotonic() + budget - min(SAFETY_MARGIN, budget / 3))

    def allows(self, wait: float) -> bool:
        return clock.monotonic() + wait < self.at


def record(upload: Upload, message: Message) -> Entry:
    """The upload's ledger entry, recording it first if need be (raises BackPressure)."""
    if upload.identity not in message.entries:
        try:
            entry, _ = ledger.record(upload.bucket, upload.key, upload.etag, upload.size, SETTINGS.job_name_prefix,
                                     origin=upload.origin or "s3", sent_at=message.sent_at)  # fmt: skip
        except (ClientError, ConnectionError, HTTPClientError) as error:
            raise back_pressure(error) or error
        message.entries[upload.identity] = entry
    return message.entries[upload.identity]


def revive(upload: Upload, tombstone: Entry, message: Message) -> Entry:
    """The same content, uploaded again after it was erased, is a new upload."""
    try:
        entry = ledger.revive(tombstone, upload.bucket, upload.key, upload.etag, upload.size, SETTINGS.job_name_prefix,
                              origin=upload.origin or "s3", sent_at=message.sent_at)  # fmt: skip
    except (ClientError, ConnectionError, HTTPClientError) as error:
        raise back_pressure(error) or error
    if entry is None:  # another report revived it first
        message.entries.pop(upload.identity, None)
        return record(upload, message)
    message.entries[upload.identity] = entry
    return entry


def record_first_receives(messages: list[Message]) -> None:
    """Record the uploads of messages received for the first time, before any of them starts:
    while they wait (a backlog) the reconciler then knows they are reported. One that cannot be
    recorded now is recorded when its turn to start comes."""
    for message in messages:
        if message.receive_count != 1:
            continue
        for upload in message.uploads:
            try:
                record(upload, message)
            except (BackPressure, ClientError, BotoCoreError) as error:
                logger.warning("not recorded yet: %s", error, extra={"key": upload.key, "outcome": "held"})
                return


def start_uploads(messages: list[Message], deadline: Deadline) -> tuple[bool, float | None]:
    """Start what the messages report, in order, at the instance's pace; wait out back-pressure
    while there is time. Returns whether any record was done with, and, when the day's limit of
    jobs stopped it, the seconds until the next UTC day."""
    progressed = False
    pushed_back = 0
    for message in messages:
        while message.uploads:
            upload = message.uploads[0]
            try:
                outcome = advance(upload, message, deadline)
            except DailyLimit as limit:
                return progressed, hold_for_the_day(limit, upload)
            except BackPressure as pressure:
                wait_range = QUEUE_FULL_WAIT if pressure.queue_full else THROTTLE_WAIT
                wait = backoff(pushed_back, *wait_range)
                pushed_back += 1
                _log(f"back-pressure ({pressure.code}): waiting {wait:.1f} s", upload.key, outcome="held")
                if not deadline.allows(wait):
                    return progressed, None
                clock.sleep(wait)
                continue
            except Exception as error:  # noqa: BLE001 - kept on the message; settle() decides
                message.error = f"{type(error).__name__}: {error}"
                logger.error("upload not started: %s", error, exc_info=True, extra={"key": upload.key, "outcome": "failed"})
                break
            if outcome is None:
                return progressed, None
            message.uploads.pop(0)
            pushed_back = 0
            progressed = True
    return progressed, None


def hold_for_the_day(limit: "DailyLimit", upload: Upload) -> float:
    """The day's jobs are all started: note it, alarm, and hold what is left until the next day."""
    _log(f"the daily limit of {SETTINGS.max_jobs_per_day} jobs is reached: held until 00:00 UTC", upload.key, outcome="held")
    metrics.add("DailyLimitReached")
    try:
        counts.limit_reached(limit.day, SETTINGS.max_jobs_per_day, clock.time())
    except (ClientError, BotoCoreError) as error:
        logger.warning("daily limit not noted: %s", error, extra={"outcome": "held"})
    return daily.seconds_to_next_day(clock.time())


def advance(upload: Upload, message: Message, deadline: Deadline) -> str | None:
    """Take one upload as far as it goes: nothing if the ledger says it was dealt with, else its
    job started (or its media rejected) and the ledger told. None: no time left to try."""
    entry = record(upload, message)
    if entry.state == DELETED and upload.written and upload.written > (entry.deleted_at or float("inf")):
        entry = revive(upload, entry, message)
    if entry.state not in STARTABLE:
        outcome = "erased" if entry.state == DELETED else "duplicate"
        _log(f"already {entry.state}: nothing to start", upload.key, entry.job_name, outcome=outcome)
        return outcome
    wait = pacer.reserve(clock.monotonic(), deadline.at)
    if wait is None:
        return None
    clock.sleep(wait)
    outcome, reason = start_counted(upload, entry.job_name)
    try:
        moved = ledger.rejected(entry, reason) if outcome == "rejected" else ledger.started(entry)
    except ClientError as error:
        # Tried again, the start finds its job (ConflictException) and the ledger is told then.
        raise back_pressure(error) or error
    if not moved:
        _log(f"the ledger had already moved on from {entry.state}", upload.key, entry.job_name, outcome="noted")
    message.entries[upload.identity] = dataclasses.replace(entry, state=REJECTED if outcome == "rejected" else STARTED)
    return outcome


class DailyLimit(Exception):
    """The stack started maxJobsPerDay jobs today."""

    def __init__(self, day: str):
        super().__init__(day)
        self.day = day


def start_counted(upload: Upload, job_name: str) -> tuple[str, str]:
    """start_upload, counted among the day's jobs first: raises DailyLimit at the limit; a start
    that makes no job is not counted."""
    day = daily.day_of(clock.time())
    try:
        if not counts.count_start(day, SETTINGS.max_jobs_per_day):
            raise DailyLimit(day)
    except ClientError as error:
        raise back_pressure(error) or error
    try:
        outcome, reason = start_upload(upload, job_name, SETTINGS, transcribe, s3, _log)
    except BaseException:
        uncount(day)
        raise
    if outcome != "started":
        uncount(day)
    return outcome, reason


def uncount(day: str) -> None:
    try:
        counts.uncount_start(day)
    except (ClientError, BotoCoreError) as error:
        logger.warning("a start not made is still counted today: %s", error, extra={"outcome": "held"})


def settle(messages: list[Message], progressed: bool, held_until: float | None = None) -> list[Message]:
    """Decide what becomes of each message not done with: to the dead-letter queue, sent again as
    a new message when old, or back to the queue after a backoff (at most until the next day when
    the daily limit holds it). Returns those that go back."""
    retry = []
    now = clock.time()
    for message in messages:
        if message.done:
            continue
        if reason := sqs_batch.dead_letter_reason(message):
            if sqs_batch.dead_letter(sqs(), SETTINGS.dead_letter_queue_url, message, *reason):
                metrics.add("MessagesDeadLettered")
                tell_ledger(message, lambda entry: ledger.dead_lettered(entry, f"{reason[0]}: {reason[1]}"))
                continue
        elif sqs_batch.is_old(message, now) and sqs_batch.carry_over(sqs(), message):
            metrics.add("MessagesCarriedOver")
            tell_ledger(message, ledger.sent_again)
            continue
        retry.append(message)
    sqs_batch.hand_back(sqs(), retry, progressed, held_until)
    metrics.add("MessagesHandedBack", len(retry))
    return retry


def tell_ledger(message: Message, change) -> None:
    """Apply `change` to the entries of the message's uploads not done with, reading the entries
    this invocation has not (an upload whose turn never came); a failure is only logged (the
    reconciler and audit see the entry as it stands)."""
    for upload in message.uploads:
        try:
            change(record(upload, message))
        except (BackPressure, ClientError, BotoCoreError) as error:
            logger.warning("ledger not updated: %s", error, extra={"key": upload.key, "outcome": "held"})


def _log(message: str, key: str, job_name: str | None = None, *, outcome: str, level=logging.INFO) -> None:
    logger.log(level, message, extra={"key": key, "jobName": job_name, "outcome": outcome})
    if outcome in OUTCOME_METRICS:
        metrics.add(OUTCOME_METRICS[outcome])
