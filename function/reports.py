"""What an upload queue message reports: the media uploads of an S3 notification, or of a
request the reconciler or the media tool sent (ledger.request_body). Records that are not media
uploads are logged and skipped; a body that is neither is refused (BadRecord)."""

import json
import logging
import urllib.parse
from dataclasses import dataclass
from datetime import datetime

import naming
from sqs_batch import BadRecord

logger = logging.getLogger("handler")


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    etag: str
    size: int
    origin: str = "s3"
    written: float | None = None
    """When S3 wrote the object (epoch seconds), when the report says."""

    @property
    def media_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def identity(self) -> tuple[str, str, str]:
        """The media object version it reports, however it was reported."""
        return self.bucket, self.key, naming.upload_version(self.etag, self.size)


def uploads_of(body: str) -> list[Upload]:
    """The media uploads a message body reports (other records are logged and skipped); S3's
    test message has none. Anything but an S3 notification or a request is refused."""
    try:
        notification = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        notification = None
    if isinstance(notification, dict) and notification.get("Event") == "s3:TestEvent":
        logger.info("S3 test event skipped", extra={"outcome": "skipped"})
        return []
    if isinstance(notification, dict) and isinstance(notification.get("Requests"), list):
        return [upload for upload in map(upload_of_request, notification["Requests"]) if upload is not None]
    records = notification.get("Records") if isinstance(notification, dict) else None
    if not isinstance(records, list):
        raise BadRecord("message is not an S3 notification: its body has no Records list")
    return [upload for upload in map(upload_of, records) if upload is not None]


def upload_of(record) -> Upload | None:
    """The media upload an S3 event record reports, or None (logged) for records that are not one."""
    try:
        event_name = record["eventName"]
        bucket = record["s3"]["bucket"]["name"]
        item = record["s3"]["object"]
        key = urllib.parse.unquote_plus(item["key"])
    except (KeyError, TypeError):
        raise BadRecord("record is not an S3 event record: it needs eventName, s3.bucket.name and s3.object.key") from None
    if not event_name.startswith("ObjectCreated:"):
        _skipped(f"{event_name} is not an upload", key)
        return None
    if not is_media(key):
        return None
    if not item.get("eTag") or item.get("size") is None:
        raise BadRecord(f"record for {key!r} has no eTag and size to tell uploads apart")
    return Upload(bucket=bucket, key=key, etag=item["eTag"], size=int(item["size"]), written=event_time(record))


def upload_of_request(request) -> Upload | None:
    """The upload a request (from the reconciler or the media tool) reports."""
    try:
        written = float(request["written"]) if request.get("written") is not None else None
        upload = Upload(request["bucket"], request["key"], request["eTag"], int(request["size"]), str(request.get("origin", "")), written)
    except (KeyError, TypeError, ValueError):
        raise BadRecord("request is not an upload report: it needs bucket, key, eTag and size") from None
    return upload if is_media(upload.key) else None


def event_time(record: dict) -> float | None:
    """An S3 event record's eventTime, in epoch seconds; None when absent or unreadable."""
    try:
        return datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).timestamp()
    except (KeyError, AttributeError, ValueError):
        return None


def is_media(key: str) -> bool:
    if key.endswith("/"):
        _skipped("folder marker", key)
        return False
    if naming.media_format(key) is None:
        _skipped("not a supported media format", key)
        return False
    return True


def _skipped(why: str, key: str) -> None:
    logger.info(f"skipped: {why}", extra={"key": key, "jobName": None, "outcome": "skipped"})
