"""Starting one upload's job: the StartTranscriptionJob call and what its answer means — started,
already started (a repeated report), media Transcribe cannot take (an error note where the
transcript would be), "not now" (back-pressure), or an error to try again."""

import logging

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

import naming
from common import error_note, utc_seconds
from job_request import job_request
from reports import Upload
from upload_settings import Settings

# What tells the function "not now" (back-pressure) rather than "never": throttling (botocore's
# own list of throttling codes, for Transcribe LimitExceededException and ThrottlingException;
# for DynamoDB ProvisionedThroughputExceededException and, on demand, RequestLimitExceeded),
# Transcribe's job queue being full (10,000 queued jobs; Transcribe's docs on job queueing), and
# the services' own outages.
THROTTLED = {
    "Throttling", "ThrottlingException", "TooManyRequestsException", "LimitExceededException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
}  # fmt: skip
QUEUE_FULL = {"LimitExceededConcurrentJobException"}
UNAVAILABLE = {"InternalFailureException", "ServiceUnavailable", "ServiceUnavailableException", "InternalServerError"}

class BackPressure(Exception):
    """A service said "not now": a throttle, a full job queue or an outage."""

    def __init__(self, code: str, queue_full: bool = False):
        super().__init__(code)
        self.code = code
        self.queue_full = queue_full


def start_upload(upload: Upload, job_name: str, settings: Settings, transcribe, s3_client, log) -> tuple[str, str]:
    """Start the transcription of one upload as `job_name`; returns (outcome, reason), or raises
    BackPressure when Transcribe says "not now". `s3_client` gives the S3 client, for the error
    notes; `log(message, key, job_name, outcome=..., level=...)` tells what happened."""
    if upload.size >= naming.MAX_MEDIA_BYTES:
        reason = f"the file has {upload.size} bytes; Transcribe takes files under 2 GB"
        return reject(upload, job_name, reason, settings, s3_client, log)
    try:
        transcribe.start_transcription_job(**job_request(upload.bucket, upload.key, job_name, settings))
    except (ConnectionError, HTTPClientError) as error:
        raise BackPressure(type(error).__name__) from error
    except ClientError as error:
        if pressure := back_pressure(error):
            raise pressure from error
        code = error.response.get("Error", {}).get("Code")
        if code == "ConflictException":
            log("already started (repeated delivery)", upload.key, job_name, outcome="duplicate")
            return "duplicate", ""
        reason = error.response.get("Error", {}).get("Message", code)
        if code == "BadRequestException" and is_about_the_media(reason):
            return reject(upload, job_name, reason, settings, s3_client, log)
        raise
    log("job started", upload.key, job_name, outcome="started")
    return "started", ""


def back_pressure(error: Exception) -> BackPressure | None:
    """The BackPressure an AWS error means, or None when it is not one."""
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return BackPressure(type(error).__name__)
    if not isinstance(error, ClientError):
        return None
    code = error.response.get("Error", {}).get("Code")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    if code in THROTTLED or code in QUEUE_FULL or code in UNAVAILABLE or status >= 500:
        return BackPressure(code, queue_full=code in QUEUE_FULL)
    return None


def reject(upload: Upload, job_name: str, reason: str, settings: Settings, s3_client, log) -> tuple[str, str]:
    write_error(s3_client(), settings, upload, job_name, reason)
    log("rejected: " + reason, upload.key, job_name, outcome="rejected", level=logging.WARNING)
    return "rejected", reason


# Transcribe answers BadRequestException for media it cannot take (format, sample rate, length),
# but also when it cannot read the media or use the data-access role (just after a deploy, before
# IAM has settled) or cannot find a vocabulary (during an update that replaces it). Only the first
# is the upload's fault and gets an error note; the others are retried, and kept in the
# dead-letter queue if they persist.
_MEDIA_WORDS = ("media", "sample rate", "audio", "format", "duration", "too long", "too short", "file size")
_ACCESS_WORDS = ("access", "permission", "denied", "authoriz", "role", "assume")


def is_about_the_media(message: str) -> bool:
    text = message.lower()
    return any(word in text for word in _MEDIA_WORDS) and not any(word in text for word in _ACCESS_WORDS)


def write_error(s3, settings: Settings, upload: Upload, job_name: str, reason: str) -> None:
    """Leave `<transcript base>.error.json` where the user looks for the transcript."""
    s3.put_object(
        Bucket=settings.output_bucket,
        Key=naming.error_key(settings.output_prefix, upload.key),
        Body=error_note(upload.media_uri, job_name, reason, utc_seconds()),
        ContentType="application/json",
    )
