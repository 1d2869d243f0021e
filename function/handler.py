"""Upload function: fed by the upload queue (S3 -> SQS -> this function), it starts one Amazon
Transcribe job for each media upload the messages report, at the pace the stack allows.

- Each message holds an S3 notification (`Records`); S3's `s3:TestEvent` is skipped.
- Back-pressure is not failure: throttling, a full Transcribe job queue and Transcribe's own
  outages make the function wait and try again, at its pace, while the invocation has time; what
  is still unstarted goes back to the queue (a partial batch response) with a visibility backoff.
- A message goes to the dead-letter queue only when it can never start: a body that is not an S3
  notification, an error that is not back-pressure and persists over several receives, or an
  upload so old that the queue would soon expire it.
- A repeated delivery finds its job already started (same job name) and counts as done.

The handler never raises for a batch: it reports every message whose uploads are not all started.
"""

import functools
import json
import logging
import os
import time
import urllib.parse
from dataclasses import dataclass, field

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

import naming
from common import RETRIES, error_note, shared_settings, utc_seconds
from metrics import Metrics
from pace import Pacer, backoff

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

DEFAULT_LANGUAGE = "en-US"
DEFAULT_START_RATE = 10.0

# Every StartTranscriptionJob attempt goes through the function's own pacing and backoff, so
# botocore makes one attempt only; short timeouts keep a hung call from eating the invocation.
TRANSCRIBE_CALLS = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=5)
# Handing messages back and dead-lettering them happen in the invocation's last seconds.
SQS_CALLS = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=2, read_timeout=3)

# What tells the function "not now" (back-pressure) rather than "never": throttling (botocore's
# own list of throttling codes, for Transcribe LimitExceededException and ThrottlingException),
# Transcribe's job queue being full (10,000 queued jobs; Transcribe's docs on job queueing), and
# Transcribe's own outages.
THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "LimitExceededException", "RequestLimitExceeded"}
QUEUE_FULL = {"LimitExceededConcurrentJobException"}
UNAVAILABLE = {"InternalFailureException", "ServiceUnavailable", "ServiceUnavailableException", "InternalServerError"}

# Waits between attempts while Transcribe pushes back, in seconds.
THROTTLE_WAIT = (0.5, 8.0)
QUEUE_FULL_WAIT = (2.0, 10.0)
# Stop starting jobs this long before the invocation's time is up (at most a third of it): room
# for a call started just before (8 s at most, with the timeouts above) and then the visibility
# changes (5 s each attempt), so that the answer to Lambda gets out.
SAFETY_MARGIN = 15.0
# The budget when there is no Lambda context (a local call).
DEFAULT_BUDGET = 30.0
# Visibility backoff of a message handed back without any progress in its invocation: 1 minute,
# doubling with each receive, up to 30 minutes, so that the queue's maxReceiveCount (1000) is not
# reached within the queue's 14-day retention.
RETRY_VISIBILITY = (60, 1800)
# An error that is not back-pressure sends the message to the dead-letter queue from this receive.
DEAD_LETTER_AFTER_RECEIVES = 5
# Uploads still unstarted this long after S3 reported them go to the dead-letter queue (where they
# get a fresh 14 days) rather than expire from the upload queue after 14 days.
MAX_UPLOAD_AGE = 12 * 24 * 3600


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
    start_rate: float = DEFAULT_START_RATE
    """StartTranscriptionJob calls per second for this instance."""
    dead_letter_queue_url: str = ""
    vocabulary_names: tuple[tuple[str, str], ...] = ()
    """(language, vocabulary name) of the stack's custom vocabularies."""
    vocabulary_filter_names: tuple[tuple[str, str], ...] = ()
    vocabulary_filter_method: str = "mask"
    channel_identification: bool = False
    redact_pii: str = "off"
    pii_entity_types: tuple[str, ...] = ()

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
            start_rate=_number(env, "START_RATE", DEFAULT_START_RATE),
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL", ""),
            vocabulary_names=_names(env, "VOCABULARY_NAMES"),
            vocabulary_filter_names=_names(env, "VOCABULARY_FILTER_NAMES"),
            vocabulary_filter_method=env.get("VOCABULARY_FILTER_METHOD") or "mask",
            channel_identification=_flag(env, "CHANNEL_IDENTIFICATION"),
            redact_pii=env.get("REDACT_PII") or "off",
            pii_entity_types=_split(env.get("PII_ENTITY_TYPES", "")),
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
        if self.start_rate <= 0:
            raise ValueError(f"START_RATE is {self.start_rate:g}: it must be more than 0 jobs per second")
        if self.vocabulary_filter_method not in naming.VOCABULARY_FILTER_METHODS:
            raise ValueError(f"VOCABULARY_FILTER_METHOD is {self.vocabulary_filter_method!r}: allowed are mask, remove and tag")
        if self.redact_pii not in naming.REDACT_PII:
            raise ValueError(f"REDACT_PII is {self.redact_pii!r}: allowed are off, redacted and redacted_and_unredacted")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _integer(env, name: str) -> int:
    value = env.get(name) or "0"
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} is {value!r}: it must be a whole number") from None


def _number(env, name: str, default: float) -> float:
    value = env.get(name) or str(default)
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} is {value!r}: it must be a number") from None


def _names(env, name: str) -> tuple[tuple[str, str], ...]:
    value = env.get(name) or "{}"
    try:
        names = json.loads(value)
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, dict) or not all(isinstance(v, str) and v for v in names.values()):
        raise ValueError(f"{name} is {value!r}: it must be a JSON object of language codes to names")
    return tuple(sorted(names.items()))


def _flag(env, name: str) -> bool:
    value = (env.get(name) or "false").lower()
    if value not in ("true", "false"):
        raise ValueError(f"{name} is {value!r}: it must be true or false")
    return value == "true"


def _tags(value: str) -> tuple[tuple[str, str], ...]:
    try:
        tags = json.loads(value)
    except json.JSONDecodeError:
        tags = None
    if not isinstance(tags, dict):
        raise ValueError(f"JOB_TAGS is {value!r}: it must be a JSON object of strings")
    return tuple((str(k), str(v)) for k, v in tags.items())


SETTINGS = Settings.from_environ(os.environ)
transcribe = boto3.client("transcribe", config=TRANSCRIBE_CALLS)
# Time as the function sees it (time(), monotonic(), sleep()): a simulation replaces it with a
# virtual clock.
clock = time
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


class BadRecord(ValueError):
    """A record that does not describe an S3 upload we can act on."""


class BackPressure(Exception):
    """Transcribe said "not now": a throttle, a full job queue or an outage."""

    def __init__(self, code: str, queue_full: bool):
        super().__init__(code)
        self.code = code
        self.queue_full = queue_full


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    upload_id: str
    size: int | None

    @property
    def media_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class Message:
    """One message of the batch, and how far the function got with its uploads."""

    id: str
    body: str
    queue_arn: str
    receipt_handle: str
    receive_count: int
    sent_at: float
    """When SQS received it, in seconds since the epoch."""
    uploads: list[Upload] = field(default_factory=list)
    """The media uploads it reports that are not yet done with."""
    error: str = ""
    """Why an upload could not be started, when that was not back-pressure."""
    unreadable: str = ""
    """Why the body is not an S3 notification the function can act on."""

    @property
    def done(self) -> bool:
        return not self.uploads and not self.error and not self.unreadable


def lambda_handler(event, context):
    try:
        return handle_batch(event, context)
    finally:
        metrics.flush()


def handle_batch(event, context):
    deadline = Deadline.of(context)
    messages = []
    for sqs_record in sqs_records_of(event):
        message = message_of(sqs_record)
        try:
            message.uploads = uploads_of(message.body)
        except BadRecord as error:
            message.unreadable = str(error)
        messages.append(message)
    # Counted at a message's first receive only, so that a message handed back is not counted again.
    metrics.add("UploadsReceived", sum(len(m.uploads) for m in messages if m.receive_count == 1))
    progressed = start_uploads(messages, deadline)
    failures = settle(messages, progressed)
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


def sqs_records_of(event) -> list:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise BadRecord("event is not an SQS batch: it has no Records list")
    return records


def message_of(record) -> Message:
    attributes = record.get("attributes") or {}
    return Message(
        id=record["messageId"],
        body=record.get("body", ""),
        queue_arn=record.get("eventSourceARN", ""),
        receipt_handle=record.get("receiptHandle", ""),
        receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
        sent_at=int(attributes.get("SentTimestamp", 0)) / 1000 or clock.time(),
    )


def uploads_of(body: str) -> list[Upload]:
    """The media uploads a message body reports (other records are logged and skipped); S3's
    test message has none. Anything but an S3 notification is refused."""
    try:
        notification = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        notification = None
    if isinstance(notification, dict) and notification.get("Event") == "s3:TestEvent":
        logger.info("S3 test event skipped", extra={"outcome": "skipped"})
        return []
    records = notification.get("Records") if isinstance(notification, dict) else None
    if not isinstance(records, list):
        raise BadRecord("message is not an S3 notification: its body has no Records list")
    return [upload for upload in map(upload_of, records) if upload is not None]


def start_uploads(messages: list[Message], deadline: Deadline) -> bool:
    """Start what the messages report, in order, at the instance's pace; wait out back-pressure
    while there is time. Returns whether any record was done with."""
    progressed = False
    pushed_back = 0
    for message in messages:
        while message.uploads:
            wait = pacer.reserve(clock.monotonic(), deadline.at)
            if wait is None:
                return progressed
            clock.sleep(wait)
            upload = message.uploads[0]
            try:
                start_upload(upload, SETTINGS, transcribe, s3)
            except BackPressure as pressure:
                wait_range = QUEUE_FULL_WAIT if pressure.queue_full else THROTTLE_WAIT
                wait = backoff(pushed_back, *wait_range)
                pushed_back += 1
                _log(f"back-pressure ({pressure.code}): waiting {wait:.1f} s", upload.key, outcome="held")
                if not deadline.allows(wait):
                    return progressed
                clock.sleep(wait)
                continue
            except Exception as error:  # noqa: BLE001 - kept on the message; settle() decides
                message.error = f"{type(error).__name__}: {error}"
                logger.error("upload not started: %s", error, exc_info=True, extra={"key": upload.key, "outcome": "failed"})
                break
            message.uploads.pop(0)
            pushed_back = 0
            progressed = True
    return progressed


def settle(messages: list[Message], progressed: bool) -> list[Message]:
    """Decide what becomes of each message not done with: back to the queue after a backoff, or
    to the dead-letter queue. Returns those that go back."""
    retry = []
    for message in messages:
        if message.done:
            continue
        reason = dead_letter_reason(message)
        if reason is None or not dead_letter(message, *reason):
            retry.append(message)
    hand_back(retry, progressed)
    return retry


def dead_letter_reason(message: Message) -> tuple[str, str] | None:
    """(code, reason) when the message will never start and goes to the dead-letter queue."""
    if message.unreadable:
        return "BadMessage", message.unreadable
    if message.error and message.receive_count >= DEAD_LETTER_AFTER_RECEIVES:
        return "Failed", f"{message.error} (after {message.receive_count} receives)"
    if clock.time() - message.sent_at > MAX_UPLOAD_AGE:
        return "Expired", f"not started {MAX_UPLOAD_AGE // 86400} days after the upload: {message.error or 'Transcribe kept pushing back'}"
    return None


def retry_visibility(message: Message, progressed: bool) -> int:
    """Seconds before a message handed back is received again: at once while jobs are starting,
    with a backoff by receive count when nothing could start or the message failed."""
    if progressed and not message.error:
        return 0
    low, high = RETRY_VISIBILITY
    return int(min(high, low * 2 ** (message.receive_count - 1)))


def hand_back(messages: list[Message], progressed: bool) -> None:
    """Set each message's visibility to its backoff. A change that fails only leaves the
    message to the queue's own visibility timeout: it still comes back."""
    for chunk in (messages[i : i + 10] for i in range(0, len(messages), 10)):
        entries = [
            {"Id": str(n), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": retry_visibility(m, progressed)}
            for n, m in enumerate(chunk)
        ]
        try:
            answer = sqs().change_message_visibility_batch(QueueUrl=queue_url(chunk[0].queue_arn), Entries=entries)
        except (ClientError, BotoCoreError) as error:
            logger.warning("visibility not changed: %s", error, extra={"outcome": "held"})
            continue
        for failed in answer.get("Failed", []):
            logger.warning("visibility not changed: %s", failed.get("Message"), extra={"outcome": "held"})
    metrics.add("MessagesHandedBack", len(messages))
    for message in messages:
        logger.info("handed back to the upload queue", extra={
            "messageId": message.id, "outcome": "retry", "receiveCount": message.receive_count,
            "visibility": retry_visibility(message, progressed), "error": message.error or None,
        })  # fmt: skip


@functools.cache
def queue_url(queue_arn: str) -> str:
    *_, account, name = queue_arn.split(":")
    return sqs().get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def dead_letter(message: Message, code: str, reason: str) -> bool:
    """Put the message, as it came, into the dead-letter queue with why; True once it is there."""
    try:
        sqs().send_message(
            QueueUrl=SETTINGS.dead_letter_queue_url,
            MessageBody=message.body or "(empty)",
            MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": code},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": reason[:1024]},
            },
        )
    except (ClientError, BotoCoreError) as error:
        logger.error("not moved to the dead-letter queue, handed back instead: %s", error,
                     extra={"messageId": message.id, "outcome": "retry"})  # fmt: skip
        return False
    logger.error("moved to the dead-letter queue: %s", reason, extra={"messageId": message.id, "outcome": "dead-lettered", "error": code})
    metrics.add("MessagesDeadLettered")
    return True


def start_upload(upload: Upload, settings: Settings, transcribe, s3_client) -> str:
    """Start the transcription of one upload; returns the outcome, or raises BackPressure when
    Transcribe says "not now". `s3_client` gives the S3 client, for the error notes."""
    media_format = naming.media_format(upload.key)
    job_name = naming.job_name(settings.job_name_prefix, upload.bucket, upload.key, upload.upload_id)
    if upload.size is not None and upload.size >= naming.MAX_MEDIA_BYTES:
        reason = f"the file has {upload.size} bytes; Transcribe takes files under 2 GB"
        write_error(s3_client(), settings, upload, job_name, reason)
        _log("rejected: " + reason, upload.key, job_name, outcome="rejected", level=logging.WARNING)
        return "rejected"

    try:
        transcribe.start_transcription_job(**job_request(upload, job_name, media_format, settings))
    except (ConnectionError, HTTPClientError) as error:
        raise BackPressure(type(error).__name__, queue_full=False) from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in THROTTLED or code in QUEUE_FULL or code in UNAVAILABLE or status >= 500:
            raise BackPressure(code, queue_full=code in QUEUE_FULL) from error
        if code == "ConflictException":
            _log("already started (repeated delivery)", upload.key, job_name, outcome="duplicate")
            return "duplicate"
        reason = error.response.get("Error", {}).get("Message", code)
        if code == "BadRequestException" and is_about_the_media(reason):
            write_error(s3_client(), settings, upload, job_name, reason)
            _log("rejected: " + reason, upload.key, job_name, outcome="rejected", level=logging.WARNING)
            return "rejected"
        raise
    _log("job started", upload.key, job_name, outcome="started")
    return "started"


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


def upload_of(record) -> Upload | None:
    """The media upload a record reports, or None (logged) for records that are not one."""
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
    if naming.media_format(key) is None:
        _log("skipped: not a supported media format", key, outcome="skipped")
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
        "OutputKey": output_key(settings, upload.key),
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
    if job_settings := transcription_settings(settings):
        request["Settings"] = job_settings
    if settings.language_code == "auto" and (language_id := language_id_settings(settings)):
        request["LanguageIdSettings"] = language_id
    if settings.redact_pii != "off":
        request["ContentRedaction"] = {"RedactionType": "PII", "RedactionOutput": settings.redact_pii}
        if settings.pii_entity_types:
            request["ContentRedaction"]["PiiEntityTypes"] = list(settings.pii_entity_types)
    if settings.data_access_role_arn:
        # Deferred execution queues jobs beyond the concurrent-job quota instead of refusing them.
        request["JobExecutionSettings"] = {
            "AllowDeferredExecution": True,
            "DataAccessRoleArn": settings.data_access_role_arn,
        }
    return request


def output_key(settings: Settings, media_key: str) -> str:
    """Where Transcribe writes the job's output: beside the other results, or under the
    unredacted prefix when the job also keeps an unredacted transcript."""
    if settings.redact_pii == "redacted_and_unredacted":
        return naming.unredacted_transcript_key(settings.output_prefix, media_key)
    return naming.transcript_key(settings.output_prefix, media_key)


def transcription_settings(settings: Settings) -> dict:
    """The job's `Settings`: speaker labels and channel identification (together if both are
    on), and the vocabulary and filter of the job's language when it is known in advance."""
    job_settings = {}
    if settings.max_speakers:
        job_settings |= {"ShowSpeakerLabels": True, "MaxSpeakerLabels": settings.max_speakers}
    if settings.channel_identification:
        job_settings["ChannelIdentification"] = True
    if settings.language_code != "auto":
        if name := dict(settings.vocabulary_names).get(settings.language_code):
            job_settings["VocabularyName"] = name
        if name := dict(settings.vocabulary_filter_names).get(settings.language_code):
            job_settings["VocabularyFilterName"] = name
    if settings.vocabulary_filter_names:
        job_settings["VocabularyFilterMethod"] = settings.vocabulary_filter_method
    return job_settings


def language_id_settings(settings: Settings) -> dict:
    """With language identification, the vocabulary and filter of each language Transcribe may
    find: Settings cannot name them before the language is known."""
    vocabularies, filters = dict(settings.vocabulary_names), dict(settings.vocabulary_filter_names)
    result = {}
    for language in sorted(vocabularies.keys() | filters.keys()):
        entry = {}
        if language in vocabularies:
            entry["VocabularyName"] = vocabularies[language]
        if language in filters:
            entry["VocabularyFilterName"] = filters[language]
        result[language] = entry
    return result


def write_error(s3, settings: Settings, upload: Upload, job_name: str, reason: str) -> None:
    """Leave `<transcript base>.error.json` where the user looks for the transcript."""
    s3.put_object(
        Bucket=settings.output_bucket,
        Key=naming.error_key(settings.output_prefix, upload.key),
        Body=error_note(upload.media_uri, job_name, reason, utc_seconds()),
        ContentType="application/json",
    )


def _log(message: str, key: str, job_name: str | None = None, *, outcome: str, level=logging.INFO) -> None:
    logger.log(level, message, extra={"key": key, "jobName": job_name, "outcome": outcome})
    if outcome in OUTCOME_METRICS:
        metrics.add(OUTCOME_METRICS[outcome])
