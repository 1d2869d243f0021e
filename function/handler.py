"""Upload function: every supported media upload an S3 notification reports becomes one
Amazon Transcribe job.

Nothing is dropped: a record whose job could not be started makes the invocation fail once the
other records are done, so Lambda retries the event and finally keeps it in the failure queue.
A repeated delivery finds its job already started (same job name) and counts as done.
"""

import functools
import json
import logging
import os
import urllib.parse
from dataclasses import dataclass

import boto3
from botocore.exceptions import ClientError

import naming
from common import RETRIES, error_note, shared_settings, utc_seconds

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

DEFAULT_LANGUAGE = "en-US"


@dataclass(frozen=True)
class Settings:
    """What the function reads from its environment, once, at start."""

    output_bucket: str
    output_prefix: str
    job_name_prefix: str
    language_code: str = DEFAULT_LANGUAGE
    language_options: tuple[str, ...] = ()
    subtitle_formats: tuple[str, ...] = ()
    max_speakers: int = 0
    data_access_role_arn: str = ""
    job_tags: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_environ(cls, env) -> "Settings":
        settings = cls(
            **shared_settings(env),
            language_code=env.get("LANGUAGE_CODE") or DEFAULT_LANGUAGE,
            language_options=_split(env.get("LANGUAGE_OPTIONS", "")),
            subtitle_formats=_split(env.get("SUBTITLE_FORMATS", "")),
            max_speakers=_integer(env, "MAX_SPEAKERS"),
            data_access_role_arn=env.get("DATA_ACCESS_ROLE_ARN", ""),
            job_tags=_tags(env.get("JOB_TAGS") or "{}"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if unknown := set(self.subtitle_formats) - set(naming.SUBTITLE_FORMATS):
            raise ValueError(f"SUBTITLE_FORMATS has {sorted(unknown)}: allowed are srt and vtt")
        if self.max_speakers and not naming.MIN_SPEAKERS <= self.max_speakers <= naming.MAX_SPEAKERS:
            raise ValueError(
                f"MAX_SPEAKERS is {self.max_speakers}: use 0 (off) or {naming.MIN_SPEAKERS} to {naming.MAX_SPEAKERS}"
            )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _integer(env, name: str) -> int:
    value = env.get(name) or "0"
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} is {value!r}: it must be a whole number") from None


def _tags(value: str) -> tuple[tuple[str, str], ...]:
    try:
        tags = json.loads(value)
    except json.JSONDecodeError:
        tags = None
    if not isinstance(tags, dict):
        raise ValueError(f"JOB_TAGS is {value!r}: it must be a JSON object of strings")
    return tuple((str(k), str(v)) for k, v in tags.items())


SETTINGS = Settings.from_environ(os.environ)
transcribe = boto3.client("transcribe", config=RETRIES)


@functools.cache
def s3():
    """The S3 client, made on first use and kept: only error notes need it, and making it at
    start would add about a third to every cold start (see bench/)."""
    return boto3.client("s3", config=RETRIES)


class BadRecord(ValueError):
    """A record that does not describe an S3 upload we can act on."""


class UploadsNotStarted(RuntimeError):
    """Some uploads of the event have no job yet; raised so that Lambda retries the event."""


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    upload_id: str
    size: int | None

    @property
    def media_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def lambda_handler(event, context):
    records = records_of(event)
    outcomes: dict[str, int] = {}
    failed: list[str] = []
    for index, record in enumerate(records):
        try:
            outcome = handle_record(record, SETTINGS, transcribe, s3)
        except Exception as error:  # noqa: BLE001 - the others still get their chance; raised below
            key = _describe(record, index)
            failed.append(key)
            logger.error("upload not started: %s", error, exc_info=True, extra={"key": key, "outcome": "failed"})
            continue
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if failed:
        raise UploadsNotStarted(
            f"{len(failed)} of {len(records)} uploads not started, the event will be retried: "
            + ", ".join(failed)
        )
    return outcomes


def records_of(event) -> list:
    """The event's records; S3's test message has none. Anything else is refused."""
    if isinstance(event, dict) and event.get("Event") == "s3:TestEvent":
        logger.info("S3 test event skipped", extra={"outcome": "skipped"})
        return []
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise BadRecord("event is not an S3 notification: it has no Records list")
    return records


def handle_record(record, settings: Settings, transcribe, s3_client) -> str:
    """Start the transcription of one record's upload; returns the outcome. `s3_client` gives
    the S3 client, for the error notes."""
    upload = upload_of(record)
    if upload is None:
        return "skipped"
    media_format = naming.media_format(upload.key)
    if media_format is None:
        _log("skipped: not a supported media format", upload.key, outcome="skipped")
        return "skipped"

    job_name = naming.job_name(settings.job_name_prefix, upload.bucket, upload.key, upload.upload_id)
    if upload.size is not None and upload.size >= naming.MAX_MEDIA_BYTES:
        reason = f"the file has {upload.size} bytes; Transcribe takes files under 2 GB"
        write_error(s3_client(), settings, upload, job_name, reason)
        _log("rejected: " + reason, upload.key, job_name, outcome="rejected", level=logging.WARNING)
        return "rejected"

    try:
        transcribe.start_transcription_job(**job_request(upload, job_name, media_format, settings))
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ConflictException":
            _log("already started (repeated delivery)", upload.key, job_name, outcome="duplicate")
            return "duplicate"
        reason = error.response.get("Error", {}).get("Message", code)
        if code == "BadRequestException" and not is_access_problem(reason):
            write_error(s3_client(), settings, upload, job_name, reason)
            _log("rejected: " + reason, upload.key, job_name, outcome="rejected", level=logging.WARNING)
            return "rejected"
        raise
    _log("job started", upload.key, job_name, outcome="started")
    return "started"


# Transcribe also answers BadRequestException when it cannot read the media or use the data-access
# role (e.g. just after a deploy, before IAM has settled): the upload is fine, so it must be retried
# and finally kept, not written off with an error note.
_ACCESS_WORDS = ("access", "permission", "denied", "authoriz", "role", "assume")


def is_access_problem(message: str) -> bool:
    return any(word in message.lower() for word in _ACCESS_WORDS)


def upload_of(record) -> Upload | None:
    """The upload a record reports, or None (logged) for records that are not uploads."""
    try:
        event_name = record["eventName"]
        bucket = record["s3"]["bucket"]["name"]
        item = record["s3"]["object"]
        key = urllib.parse.unquote_plus(item["key"])
    except (KeyError, TypeError):
        raise BadRecord("record is not an S3 event record: it needs eventName, s3.bucket.name and s3.object.key") from None
    if not event_name.startswith("ObjectCreated:"):
        _log(f"skipped: {event_name} is not an upload", key, outcome="skipped")
        return None
    if key.endswith("/"):
        _log("skipped: folder marker", key, outcome="skipped")
        return None
    upload_id = item.get("sequencer") or item.get("versionId") or item.get("eTag")
    if not upload_id:
        raise BadRecord(f"record for {key!r} has no sequencer, versionId or eTag to tell uploads apart")
    size = item.get("size")
    return Upload(bucket=bucket, key=key, upload_id=upload_id, size=int(size) if size is not None else None)


def job_request(upload: Upload, job_name: str, media_format: str, settings: Settings) -> dict:
    """The StartTranscriptionJob parameters for one upload."""
    request = {
        "TranscriptionJobName": job_name,
        "Media": {"MediaFileUri": upload.media_uri},
        "MediaFormat": media_format,
        "OutputBucketName": settings.output_bucket,
        "OutputKey": naming.transcript_key(settings.output_prefix, upload.key),
        "Tags": [
            *({"Key": k, "Value": naming.tag_value(v)} for k, v in settings.job_tags),
            {"Key": "media-key", "Value": naming.tag_value(upload.key)},
        ],
    }
    if settings.language_code == "auto":
        request["IdentifyLanguage"] = True
        if settings.language_options:
            request["LanguageOptions"] = list(settings.language_options)
    else:
        request["LanguageCode"] = settings.language_code
    if settings.subtitle_formats:
        request["Subtitles"] = {"Formats": list(settings.subtitle_formats), "OutputStartIndex": 1}
    if settings.max_speakers:
        request["Settings"] = {"ShowSpeakerLabels": True, "MaxSpeakerLabels": settings.max_speakers}
    if settings.data_access_role_arn:
        # Deferred execution queues jobs beyond the concurrent-job quota instead of refusing them.
        request["JobExecutionSettings"] = {
            "AllowDeferredExecution": True,
            "DataAccessRoleArn": settings.data_access_role_arn,
        }
    return request


def write_error(s3, settings: Settings, upload: Upload, job_name: str, reason: str) -> None:
    """Leave `<transcript base>.error.json` where the user looks for the transcript."""
    s3.put_object(
        Bucket=settings.output_bucket,
        Key=naming.error_key(settings.output_prefix, upload.key),
        Body=error_note(upload.media_uri, job_name, reason, utc_seconds()),
        ContentType="application/json",
    )


def _describe(record, index: int) -> str:
    try:
        return urllib.parse.unquote_plus(record["s3"]["object"]["key"])
    except (KeyError, TypeError):
        return f"record #{index}"


def _log(message: str, key: str, job_name: str | None = None, *, outcome: str, level=logging.INFO) -> None:
    logger.log(level, message, extra={"key": key, "jobName": job_name, "outcome": outcome})
