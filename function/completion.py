"""Completion function: when one of this stack's Transcribe jobs ends, leave the result where the
user looks for it, next to the JSON transcript.

- COMPLETED: `<transcript base>.txt`, the transcript as readable paragraphs, or one line per
  speaker turn (`Speaker 1: ...`) when the job labelled speakers.
- FAILED: `<transcript base>.error.json`, with Transcribe's reason.
- Either way, a short message to the notification topic when there is one, and the end in the
  ledger (nothing at all is written for an object erased meanwhile).

The keys come from `naming`, the rules the upload handler named the job's output with. A repeated
event rewrites the same objects (and sends the message again). Jobs Transcribe no longer knows
are logged and ignored; errors reading or writing raise, so EventBridge retries the event and
finally keeps it in the failure queue. Besides Transcribe's events, the function takes the same
events from the reconciler, for jobs whose own event never came (Transcribe sends its events on a
best-effort basis).
"""

import json
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime

import boto3

import naming
import readable
import subtitles
from common import RECONCILER_SOURCE, RETRIES, SharedSettings, error_note, get_job, shared_settings, utc_seconds
from daily import DailyCounts, day_of
from ledger import COMPLETED, FAILED, Entry, Ledger
from metrics import NO_UNIT, Metrics
from notification import clock, completed_message, failed_message, language_of, publish, subject

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

DETAIL_TYPE = "Transcribe Job State Change"
# The end states the EventBridge rule forwards; other states are logged and skipped.
END_STATES = ("COMPLETED", "FAILED")

_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")


@dataclass(frozen=True)
class Settings(SharedSettings):
    """What the function reads from its environment, once, at start."""

    topic_arn: str = ""

    @classmethod
    def from_environ(cls, env) -> "Settings":
        settings = cls(**shared_settings(env), topic_arn=env.get("TOPIC_ARN", "").strip())
        settings.check()
        return settings

    def check(self) -> None:
        if self.topic_arn and not _TOPIC_ARN.fullmatch(self.topic_arn):
            raise ValueError(
                f"TOPIC_ARN {self.topic_arn!r} is not an SNS topic ARN: leave it empty (no"
                " notification) or give arn:aws:sns:<region>:<account>:<topic>"
            )


SETTINGS = Settings.from_environ(os.environ)
transcribe = boto3.client("transcribe", config=RETRIES)
s3 = boto3.client("s3", config=RETRIES)
sns = boto3.client("sns", config=RETRIES)
dynamodb = boto3.client("dynamodb", config=RETRIES)
ledger = Ledger(dynamodb, SETTINGS.ledger_table)
counts = DailyCounts(dynamodb, SETTINGS.ledger_table)
# What an invocation counts, written as one metrics line at its end.
metrics = Metrics(os.environ.get("METRICS_NAMESPACE", ""), "completion")

# Transcribe's failure reasons, by what the user can do about them: the first class whose words
# the reason holds (in lower case); "other" when none does.
FAILURE_CLASSES = (
    ("access", ("access", "permission", "denied", "role")),
    ("language", ("language",)),
    ("quota", ("limit", "quota", "throttl")),
    ("internal", ("internal",)),
    ("media", ("format", "sample rate", "corrupt", "codec", "too long", "too short", "duration", "size", "media")),
)


class BadEvent(ValueError):
    """An event that is not a Transcribe job state change we can act on."""


class JobNotFinished(RuntimeError):
    """The event says the job ended but Transcribe does not (yet); raised so the event is retried."""


@dataclass(frozen=True)
class JobEnd:
    """What an EventBridge 'Transcribe Job State Change' event says."""

    job_name: str
    status: str
    time: str = ""
    failure_reason: str = ""


def lambda_handler(event, context):
    try:
        return handle_event(event)
    finally:
        metrics.flush()


def handle_event(event):
    end = job_end_of(event)
    if end.status not in END_STATES:
        _log(f"skipped: status {end.status} is not an end state", end.job_name, outcome="skipped")
        return {"jobName": end.job_name, "outcome": "skipped"}
    outcome = handle_job_end(end, SETTINGS, transcribe, s3, sns, ledger)
    return {"jobName": end.job_name, "outcome": outcome}


def job_end_of(event) -> JobEnd:
    """The job and status a Transcribe state-change event reports; anything else is refused."""
    if not isinstance(event, dict) or event.get("source") not in ("aws.transcribe", RECONCILER_SOURCE):
        raise BadEvent("event is not from aws.transcribe: expected a Transcribe Job State Change event")
    if event.get("detail-type") != DETAIL_TYPE:
        raise BadEvent(f"Transcribe event is a {event.get('detail-type')!r}: expected a {DETAIL_TYPE!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise BadEvent("Transcribe event has no detail object")
    job_name = detail.get("TranscriptionJobName")
    status = detail.get("TranscriptionJobStatus")
    if not isinstance(job_name, str) or not job_name or not isinstance(status, str) or not status:
        raise BadEvent("Transcribe event detail needs TranscriptionJobName and TranscriptionJobStatus")
    return JobEnd(
        job_name=job_name,
        status=status,
        time=str(event.get("time") or ""),
        failure_reason=str(detail.get("FailureReason") or ""),
    )


def handle_job_end(end: JobEnd, settings: Settings, transcribe, s3, sns, ledger: Ledger) -> str:
    """Write what one ended job leaves for the user, and record its end; returns the outcome."""
    if not end.job_name.startswith(settings.job_name_prefix):
        _log("ignored: not this stack's job", end.job_name, outcome="ignored")
        return "ignored"
    job = get_job(transcribe, end.job_name)
    if job is None:
        _log("ignored: Transcribe cannot find the job", end.job_name, outcome="not-found", level=logging.WARNING)
        return "not-found"
    status = job.get("TranscriptionJobStatus")
    if status not in END_STATES:
        raise JobNotFinished(f"job {end.job_name} is {status} although the event says {end.status}; retry later")
    media_bucket, media_key = media_of(job)
    entry, erased = ledger.find_job(media_bucket, media_key, end.job_name)
    if erased:
        _log("ignored: the media was erased (mediactl delete); nothing is written", end.job_name, outcome="erased")
        return "erased"
    if entry is None:
        _log("no ledger item names the job (started before the ledger): the reconciler records it", end.job_name,
             media_key, outcome="unrecorded")  # fmt: skip
    if status == "COMPLETED":
        outcome, minutes = record_transcript(job, media_bucket, media_key, settings, s3, sns)
        end_in_ledger(ledger, entry, COMPLETED, minutes=minutes)
        counts.count_end(day_of(time.time()), completed=True, minutes=minutes)
        return outcome
    outcome, reason = record_failure(job, end, media_bucket, media_key, settings, s3, sns)
    end_in_ledger(ledger, entry, FAILED, reason=reason)
    counts.count_end(day_of(time.time()), completed=False, minutes=None)
    return outcome


def end_in_ledger(ledger: Ledger, entry: Entry | None, state: str, reason: str = "", minutes: float | None = None) -> None:
    if entry is not None and not ledger.end(entry, state, reason, minutes):
        _log("the media was erased while its transcript was written", entry.job_name, entry.key, outcome="erased",
             level=logging.WARNING)  # fmt: skip


def media_of(job: dict) -> tuple[str, str]:
    """(bucket, key) of the job's media, from its `s3://bucket/key` URI (the key as uploaded)."""
    uri = job.get("Media", {}).get("MediaFileUri", "")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise ValueError(f"job {job.get('TranscriptionJobName')} has media {uri!r}, not an s3://bucket/key URI")
    return bucket, key


def record_transcript(job: dict, media_bucket: str, media_key: str, settings: Settings, s3, sns) -> tuple[str, float | None]:
    """Write the `.txt` (and the redacted JSON where the user looks for it); (outcome, minutes)."""
    job_name = job["TranscriptionJobName"]
    json_key = naming.transcript_key(settings.output_prefix, media_key)
    text_key = naming.text_key(settings.output_prefix, media_key)
    source_key = transcript_key_of(job, settings, media_key)
    body = s3.get_object(Bucket=settings.output_bucket, Key=source_key)["Body"].read()
    results = results_of(body, f"s3://{settings.output_bucket}/{source_key}")
    if source_key != json_key:
        # The redacted transcript, written elsewhere (under the unredacted prefix, or under a
        # name of Transcribe's), is put where the user looks for the transcript.
        s3.put_object(Bucket=settings.output_bucket, Key=json_key, Body=body, ContentType="application/json")
        _log(f"transcript copied from {source_key}", job_name, media_key, outcome="copied")
    for source, usual in subtitles.place_redacted(job, media_key, settings.output_bucket, settings.output_prefix, s3):
        _log(f"subtitles copied from {source} to {usual}", job_name, media_key, outcome="copied")
    s3.put_object(
        Bucket=settings.output_bucket,
        Key=text_key,
        Body=readable.transcript_text(results, job.get("LanguageCode")).encode("utf-8"),
        ContentType="text/plain; charset=utf-8",
    )
    _log("text transcript written", job_name, media_key, outcome="transcribed")
    metrics.add("JobsCompleted")
    seconds = readable.duration_of(results)
    if seconds is not None:
        metrics.add("TranscriptMinutes", seconds / 60, unit=NO_UNIT)

    if settings.topic_arn:
        subtitle_formats = job.get("Subtitles", {}).get("Formats", [])
        files = [
            (json_key, "Transcribe's full output, with word timings"),
            (text_key, "plain text"),
            *((naming.subtitle_key(settings.output_prefix, media_key, f), "subtitles") for f in subtitle_formats),
        ]
        facts = [
            ("Language", language_of(job)),
            ("Duration", clock(readable.duration_of(results))),
            ("Speakers", str(readable.speaker_count(results) or "")),
            ("Job", job_name),
        ]
        publish(
            sns,
            settings.topic_arn,
            subject("Transcript ready", media_key),
            completed_message(f"s3://{media_bucket}/{media_key}", facts, settings.output_bucket, files),
        )
        _log("notification sent", job_name, media_key, outcome="notified")
    return "transcribed", None if seconds is None else seconds / 60


def record_failure(job: dict, end: JobEnd, media_bucket: str, media_key: str, settings: Settings, s3, sns) -> tuple[str, str]:
    """Write the `.error.json`; (outcome, reason)."""
    job_name = job["TranscriptionJobName"]
    media_uri = f"s3://{media_bucket}/{media_key}"
    reason = job.get("FailureReason") or end.failure_reason or "Transcribe gave no reason"
    key = naming.error_key(settings.output_prefix, media_key)
    s3.put_object(
        Bucket=settings.output_bucket,
        Key=key,
        Body=error_note(media_uri, job_name, reason, failure_time(job.get("CompletionTime"), end.time)),
        ContentType="application/json",
    )
    _log("failure recorded: " + reason, job_name, media_key, outcome="failed", level=logging.WARNING)
    metrics.add("JobsFailed", by=("FailureClass", failure_class(reason)))

    if settings.topic_arn:
        publish(
            sns,
            settings.topic_arn,
            subject("Transcription failed", media_key),
            failed_message(media_uri, job_name, reason, f"s3://{settings.output_bucket}/{key}"),
        )
        _log("notification sent", job_name, media_key, outcome="notified")
    return "failure-recorded", reason


def failure_class(reason: str) -> str:
    """access, media, language, quota, internal or other: what kind of failure a reason tells."""
    text = reason.lower()
    return next((name for name, words in FAILURE_CLASSES if any(word in text for word in words)), "other")


def transcript_key_of(job: dict, settings: Settings, media_key: str) -> str:
    """The key of the transcript the `.txt` is made from: where GetTranscriptionJob says it is
    (the redacted one when the job redacts personal data, so the text never shows it), as long
    as that is in the transcripts bucket; else the key the naming rules give, where the upload
    function asked Transcribe to write it."""
    named = naming.transcript_key(settings.output_prefix, media_key)
    transcript = job.get("Transcript", {})
    if (job.get("ContentRedaction") or {}).get("RedactionOutput") and not transcript.get("RedactedTranscriptFileUri"):
        # Never fall back to the unredacted transcript for the text everyone may read.
        raise ValueError(f"job {job['TranscriptionJobName']} redacts PII but Transcribe names no redacted transcript")
    uri = transcript.get("RedactedTranscriptFileUri") or transcript.get("TranscriptFileUri")
    if not uri:
        return named
    location = naming.s3_location(uri)
    if location is not None and location[0] == settings.output_bucket:
        return location[1]
    where = f"s3://{settings.output_bucket}/{named}"
    _log(f"job's transcript URI {uri} is not in the transcripts bucket; reading {where}", job["TranscriptionJobName"],
         media_key, outcome="uri-mismatch", level=logging.WARNING)  # fmt: skip
    return named


def results_of(body: bytes, where: str) -> dict:
    """The `results` of Transcribe's JSON output; a file that is not one raises."""
    try:
        results = json.loads(body)["results"]
    except (ValueError, KeyError, TypeError):
        results = None
    if not isinstance(results, dict):
        raise ValueError(f"{where} is not Transcribe's JSON output: it has no results object")
    return results


def failure_time(completion_time, event_time: str) -> str:
    """When the job failed, ISO 8601 in UTC to the second: Transcribe's completion time, else the
    event's time, so that a repeated event writes the same note."""
    moment = completion_time if isinstance(completion_time, datetime) else None
    if moment is None and event_time:
        try:
            moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    return utc_seconds(moment)


def _log(message: str, job_name: str, key: str | None = None, *, outcome: str, level=logging.INFO) -> None:
    logger.log(level, message, extra={"jobName": job_name, "key": key, "outcome": outcome})
