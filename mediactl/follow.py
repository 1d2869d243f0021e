"""`upload --wait`: follow an upload to its transcription job's end and bring the transcript home."""

from dataclasses import dataclass, field
from pathlib import Path

from datetime import datetime

from botocore.exceptions import ClientError

from mediactl import dead_letters, jobs, queues
from mediactl.aws import ACCESS_DENIED_CODES, describe_aws_error, error_code
from mediactl.jobs import CLOCK_SLACK
from mediactl.stack import Target
from mediactl.transcripts import download, error_note, local_path, read_transcript, s3_location
from mediactl.uploads import Uploaded
from transcribe_pipeline.function import common, naming, readable
from transcribe_pipeline.function import ledger as ledger_module
from transcribe_pipeline.function.ledger import Ledger


@dataclass
class Outcome:
    uploaded: Uploaded
    job_name: str | None = None
    failure: str | None = None
    files: list[Path] = field(default_factory=list)
    text: str = ""


def follow_upload(clients, target: Target, uploaded: Uploaded, out_dir: Path, on_status, on_note) -> Outcome:
    """Find the upload's job, wait for its end, download what it wrote into `out_dir`.
    `on_status` gets the passing state (a spinner), `on_note` what deserves a line of its own."""
    found = wait_for_job(clients, target, uploaded, on_status, on_note)
    if isinstance(found, Outcome):
        return found
    job = jobs.wait_for_end(clients.transcribe, found, on_status)
    outcome = Outcome(uploaded, job_name=job["TranscriptionJobName"])
    if job["TranscriptionJobStatus"] == "FAILED":
        outcome.failure = job.get("FailureReason", "Transcribe gave no reason")
        return outcome
    on_status("downloading")
    # With PII redaction, the redacted transcript: the unredacted one stays under its own prefix.
    transcript_uri = job["Transcript"].get("RedactedTranscriptFileUri") or job["Transcript"]["TranscriptFileUri"]
    bucket, key = s3_location(transcript_uri)
    transcript = download(clients.s3, bucket, key, local_path(out_dir, key, target.output_prefix))
    if transcript is None:
        outcome.failure = f"the job completed but its transcript is not at {transcript_uri}"
        return outcome
    outcome.files.append(transcript)
    results = read_transcript(transcript.read_bytes(), transcript_uri).get("results") or {}
    # The job's language decides how words are joined (ja-JP, zh-CN... without spaces); the output
    # names it only when Transcribe identified it.
    outcome.text = readable.transcript_text(results, job.get("LanguageCode"))
    for uri in job.get("Subtitles", {}).get("SubtitleFileUris", []):
        subtitle_bucket, subtitle_key = s3_location(uri)
        if path := download(clients.s3, subtitle_bucket, subtitle_key, local_path(out_dir, subtitle_key, target.output_prefix)):
            outcome.files.append(path)
    # The completion function writes the .txt a moment after the job ends: take it if it is
    # there, else write the same text here.
    text_key = naming.text_key(target.output_prefix, uploaded.media.key)
    path = local_path(out_dir, text_key, target.output_prefix)
    if not download(clients.s3, bucket, text_key, path):
        path.write_text(outcome.text, encoding="utf-8")
    outcome.files.append(path)
    return outcome


def wait_for_job(clients, target: Target, uploaded: Uploaded, on_status, on_note) -> dict | Outcome:
    """The upload's job once the function has started it, or the Outcome that says why it won't.

    With the upload queue, a job may start hours after the upload when a bulk backlog is queued:
    the wait lasts while the queue holds messages, and the time limit counts only while it is
    empty. It ends when the upload's message turns up in the dead-letter queue. Without a view of
    the queue (--bucket, or no right to read it) an upload may be queued all the same: no time
    limit then, the wait goes on until the job starts or Ctrl-C."""
    intervals = jobs.POLL.intervals()
    waited = 0.0
    other_media: set[str] = set()
    dead_letters_seen = 0
    told_queued = told_unseen = False
    queues_readable = True
    ledger = ledger_of(clients, target)
    while True:
        if ledger is not None:
            try:
                found = from_the_ledger(clients, target, ledger, uploaded)
            except ClientError as error:
                if error_code(error) not in ACCESS_DENIED_CODES:
                    raise
                on_note(f"cannot read the ledger ({describe_aws_error(error)}): looking for the job among the stack's jobs")
                ledger = found = None
            if isinstance(found, (dict, Outcome)):
                return found
            if found == QUEUED:
                waited = 0.0  # recorded, and its message waits: no time limit
                on_status("waiting in the upload queue (the ledger has it as queued)")
                jobs.pause(next(intervals))
                continue
        job = jobs.find_job(clients.transcribe, target.job_name_prefix, uploaded.uri, uploaded.last_modified, other_media)
        if job:
            return job
        if target.output_bucket:
            note = error_note(clients.s3, target.output_bucket, target.output_prefix, uploaded.media.key)
            if note and note.written >= uploaded.last_modified - CLOCK_SLACK:
                return Outcome(uploaded, job_name=note.job_name, failure=note.reason)
        backlog = 0
        if target.upload_queue_url and target.dead_letter_queue_url and queues_readable:
            try:
                dead = queues.queue(clients.sqs, target.dead_letter_queue_url)
                if dead.backlog > dead_letters_seen and (reason := dead_letter_reason(clients.sqs, dead, uploaded)):
                    return Outcome(
                        uploaded,
                        failure=f"its upload went to the dead-letter queue: {reason}; once the cause is fixed,"
                        f" {target.command('redrive')} moves it back to the upload queue",
                    )
                dead_letters_seen = dead.backlog
                backlog = queues.queue(clients.sqs, target.upload_queue_url).backlog
            except ClientError as error:
                if error_code(error) not in ACCESS_DENIED_CODES:
                    raise
                # Uploading and following jobs need no SQS permission: wait as without a queue.
                on_note(f"cannot read the upload queues ({describe_aws_error(error)}): waiting for the job without them")
                queues_readable = False
        if backlog:
            waited = 0.0
            status = f"waiting in the upload queue ({backlog} {'message' if backlog == 1 else 'messages'} queued or in progress)"
            if not told_queued:
                on_note(f"{uploaded.media.key}: {status}; a bulk upload's backlog may take hours, Ctrl-C stops following")
                told_queued = True
            on_status(status)
        elif not sees_queue(target, queues_readable):
            if waited >= jobs.START_TIMEOUT and not told_unseen:
                on_note(f"{uploaded.media.key}: {NO_JOB_YET} after {jobs.START_TIMEOUT:.0f} s; waiting on, Ctrl-C stops following")
                told_unseen = True
            on_status(NO_JOB_YET)
        elif waited >= jobs.START_TIMEOUT:
            return Outcome(
                uploaded,
                failure=f"no transcription job started within {jobs.START_TIMEOUT:.0f} s: see the function's"
                f" log group and {target.command('redrive')}",
            )
        else:
            on_status("waiting for the job to start")
        interval = next(intervals)
        jobs.pause(interval)
        waited += interval


NO_JOB_YET = "no job yet (the upload may be waiting in the upload queue)"
QUEUED = "queued"


def ledger_of(clients, target: Target) -> Ledger | None:
    table = target.outputs.get("ledgerTableName")
    return Ledger(clients.dynamodb, table) if table else None


def from_the_ledger(clients, target: Target, ledger: Ledger, uploaded: Uploaded) -> dict | Outcome | str | None:
    """What the ledger knows of this upload (one query, not a look through the stack's jobs): its
    job once there is one, the Outcome when it will have none, QUEUED while it waits, or None when
    the ledger has no item for it yet. An identical re-upload finds the job of its content."""
    version = naming.upload_version(uploaded.etag, uploaded.media.size)
    entry = next((e for e in ledger.versions(uploaded.bucket, uploaded.media.key) if e.version == version), None)
    if entry is None:
        return None
    if entry.state == ledger_module.REJECTED:
        return Outcome(uploaded, job_name=entry.job_name, failure=entry.reason)
    if entry.state == ledger_module.DEAD_LETTERED:
        return Outcome(uploaded, failure=f"its upload went to the dead-letter queue: {entry.reason}; once the cause is fixed,"
                                         f" {target.command('redrive')} moves it back to the upload queue")  # fmt: skip
    job = common.get_job(clients.transcribe, entry.job_name) if entry.job_name else None
    if entry.state in ledger_module.STARTABLE:
        # A job started whose `started` write has not landed yet (or failed: the reconciler
        # repairs the item) is followed all the same.
        return job or QUEUED
    return job


def sees_queue(target: Target, queues_readable: bool) -> bool:
    """Whether an empty upload queue can be told from one not looked at: the stack's outputs name
    the queue and it may be read, or they name none (a stack from before the upload queue)."""
    return bool(target.selection) and (queues_readable or not target.upload_queue_url)


def dead_letter_reason(sqs, dead: queues.Queue, uploaded: Uploaded) -> str | None:
    """Why the upload's S3 notification was dead-lettered, if it was (among the first messages)."""
    for message in dead_letters.look_at(sqs, dead.url):
        records = queues.s3_records(message.get("Body", "")) or []
        if any(is_this_upload(record, uploaded) for record in records):
            return dead_letters.why_dead_lettered(message)[1]
    return None


def is_this_upload(record: dict, uploaded: Uploaded) -> bool:
    [(bucket, key, etag)] = queues.uploads_of([record])
    try:
        when = datetime.fromisoformat(record.get("eventTime", ""))
    except ValueError:
        return False
    same = (bucket, key, etag) == (uploaded.bucket, uploaded.media.key, uploaded.etag)
    # A message of an earlier upload of the same content has the same eTag, but an older time.
    return same and when >= uploaded.last_modified - CLOCK_SLACK
