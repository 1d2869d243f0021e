"""Completion function: when one of this stack's Transcribe jobs ends, leave the result where the
user looks for it, next to the JSON transcript.

- COMPLETED: `<transcript base>.txt`, the transcript as readable paragraphs, or one line per
  speaker turn (`Speaker 1: ...`) when the job labelled speakers.
- FAILED: `<transcript base>.error.json`, with Transcribe's reason.
- Either way, a short message to the notification topic when there is one.

The keys come from `naming`, the rules the upload handler named the job's output with. A repeated
event rewrites the same objects (and sends the message again). Jobs Transcribe no longer knows
are logged and ignored; errors reading or writing raise, so EventBridge retries the event and
finally keeps it in the failure queue.
"""

import json
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import boto3
from botocore.exceptions import ClientError

import naming
import readable
import subtitles
from common import RETRIES, error_note, shared_settings, utc_seconds
from metrics import NO_UNIT, Metrics

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

DETAIL_TYPE = "Transcribe Job State Change"
# The end states the EventBridge rule forwards; other states are logged and skipped.
END_STATES = ("COMPLETED", "FAILED")

# SNS takes subjects of ASCII characters, without line breaks, under 100 characters.
SUBJECT_MAX = 99

_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")


@dataclass(frozen=True)
class Settings:
    """What the function reads from its environment, once, at start."""

    output_bucket: str
    output_prefix: str
    job_name_prefix: str
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
    outcome = handle_job_end(end, SETTINGS, transcribe, s3, sns)
    return {"jobName": end.job_name, "outcome": outcome}


def job_end_of(event) -> JobEnd:
    """The job and status a Transcribe state-change event reports; anything else is refused."""
    if not isinstance(event, dict) or event.get("source") != "aws.transcribe":
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


def handle_job_end(end: JobEnd, settings: Settings, transcribe, s3, sns) -> str:
    """Write what one ended job leaves for the user; returns the outcome."""
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
    if status == "COMPLETED":
        return record_transcript(job, media_bucket, media_key, settings, s3, sns)
    return record_failure(job, end, media_bucket, media_key, settings, s3, sns)


def get_job(transcribe, job_name: str) -> dict | None:
    """The job as GetTranscriptionJob describes it, or None when Transcribe cannot find it."""
    try:
        return transcribe.get_transcription_job(TranscriptionJobName=job_name)["TranscriptionJob"]
    except ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") == "BadRequestException" and "couldn't be found" in details.get("Message", ""):
            return None
        raise


def media_of(job: dict) -> tuple[str, str]:
    """(bucket, key) of the job's media, from its `s3://bucket/key` URI (the key as uploaded)."""
    uri = job.get("Media", {}).get("MediaFileUri", "")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise ValueError(f"job {job.get('TranscriptionJobName')} has media {uri!r}, not an s3://bucket/key URI")
    return bucket, key


def record_transcript(job: dict, media_bucket: str, media_key: str, settings: Settings, s3, sns) -> str:
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
    if (seconds := readable.duration_of(results)) is not None:
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
    return "transcribed"


def record_failure(job: dict, end: JobEnd, media_bucket: str, media_key: str, settings: Settings, s3, sns) -> str:
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
    return "failure-recorded"


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


# The notification ---------------------------------------------------------------------------


def language_of(job: dict) -> str:
    if job.get("LanguageCode"):
        return job["LanguageCode"]
    return ", ".join(entry["LanguageCode"] for entry in job.get("LanguageCodes") or [] if entry.get("LanguageCode"))


def clock(seconds: float | None) -> str:
    """62.4 -> '1:02', 3725 -> '1:02:05'; '' when unknown."""
    if seconds is None:
        return ""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def subject(event: str, media_key: str) -> str:
    """'<event>: <file name>', in the ASCII SNS accepts, cut to fit."""
    name = media_key.rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isprintable() else "_" for c in ascii_name).strip() or "media file"
    text = f"{event}: {ascii_name}"
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3] + "..."


def completed_message(media_uri: str, facts: list[tuple[str, str]], bucket: str, files: list[tuple[str, str]]) -> str:
    lines = [f"Transcript ready for {media_uri}", ""]
    lines += [f"{label}: {value}" for label, value in facts if value]
    lines += ["", "Files:"]
    lines += [f"  s3://{bucket}/{key}  ({what})" for key, what in files]
    return "\n".join(lines) + "\n"


def failed_message(media_uri: str, job_name: str, reason: str, error_uri: str) -> str:
    lines = [
        f"Transcription failed for {media_uri}",
        "",
        f"Reason: {reason}",
        f"Job: {job_name}",
        "",
        f"Details: {error_uri}",
    ]
    return "\n".join(lines) + "\n"


def publish(sns, topic_arn: str, subject_line: str, message: str) -> None:
    sns.publish(TopicArn=topic_arn, Subject=subject_line, Message=message)


def _log(message: str, job_name: str, key: str | None = None, *, outcome: str, level=logging.INFO) -> None:
    logger.log(level, message, extra={"jobName": job_name, "key": key, "outcome": outcome})
