"""Media objects the ledger has no item for — a missed notification, a file that was in the bucket
before the stack, an upload from before the ledger — and what becomes of them, the same for the
reconciler and for `mediactl backfill`:

- an object whose transcript or error note was written after it is recorded as done (`adopted`):
  it is never transcribed again unless asked;
- an object uploaded again after it was erased gets a new item in place of its tombstone;
- any other is recorded as queued and sent to the upload queue, where it starts at the stack's
  pace like any upload. The record is conditional: of two paths finding the same object, one sends.

Standard library and boto3 only; the media tool imports it too.
"""

import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

try:  # part of a package: the media tool
    from . import naming
    from .ledger import COMPLETED, DELETED, FAILED, Entry, Ledger, request_body
except ImportError:  # in the Lambda package
    import naming
    from ledger import COMPLETED, DELETED, FAILED, Entry, Ledger, request_body

BATCH = 10
LOOKUP = 100


@dataclass(frozen=True)
class Place:
    """Where the stack's media and results are."""

    media_bucket: str
    output_bucket: str
    output_prefix: str
    job_name_prefix: str
    upload_queue_url: str


@dataclass
class Found:
    """What became of the objects looked at (or would, in a dry run)."""

    sent: int = 0
    adopted: int = 0
    known: int = 0
    sent_keys: list[str] = field(default_factory=list)


class Sender:
    """Sends uploads to the upload queue as requests, ten to a call, and tells the ledger."""

    def __init__(self, sqs, queue_url: str, ledger: Ledger, origin: str):
        self.sqs, self.queue_url, self.ledger, self.origin = sqs, queue_url, ledger, origin
        self.waiting: list[tuple[Entry, float | None]] = []
        self.sent = 0

    def add(self, entry: Entry, written: float | None = None) -> None:
        self.waiting.append((entry, written))
        if len(self.waiting) == BATCH:
            self.flush()

    def flush(self) -> int:
        """Send what waits; how many were sent in all so far."""
        if self.waiting:
            bodies = [request_body(e.bucket, e.key, e.etag, e.size, self.origin, written) for e, written in self.waiting]
            answer = self.sqs.send_message_batch(
                QueueUrl=self.queue_url, Entries=[{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies)]
            )
            failed = {int(item["Id"]) for item in answer.get("Failed", [])}
            for n, (entry, _) in enumerate(self.waiting):
                # One that could not be sent is due at once: the reconciler's next run sends it.
                (self.ledger.resend_now if n in failed else self.ledger.sent_again)(entry)
            self.sent += len(self.waiting) - len(failed)
            self.waiting = []
        return self.sent


def settle(objects: list[dict], place: Place, ledger: Ledger, s3, sender: Sender | None, origin: str, log=None,
           outputs: dict | None = None) -> Found:  # fmt: skip
    """Look up listed media objects (ListObjectsV2 entries) in the ledger and settle the ones it
    does not know. `sender` None: a dry run, nothing is written or sent. `outputs`: the output
    bucket's keys under the output prefix with their LastModified, when the caller listed them
    (else each unknown object's transcript and note are looked for with HeadObject)."""
    found = Found()
    for chunk in (objects[i : i + LOOKUP] for i in range(0, len(objects), LOOKUP)):
        wanted = {(naming.ledger_id(place.media_bucket, o["Key"]), naming.upload_version(o["ETag"], o["Size"])): o for o in chunk}
        known = ledger.get_many(list(wanted))
        for pair, obj in wanted.items():
            entry = known.get(pair)
            written = obj["LastModified"].timestamp()
            if entry is not None and not (entry.state == DELETED and written > (entry.deleted_at or float("inf"))):
                found.known += 1
            elif entry is None and done_before(obj, place, ledger, s3, write=sender is not None, outputs=outputs):
                found.adopted += 1
            elif sender is None:
                found.sent += 1
                found.sent_keys.append(obj["Key"])
            elif queued := queue(obj, entry, place, ledger, origin):
                sender.add(queued, written)
                found.sent_keys.append(obj["Key"])
                if log:
                    log(obj["Key"])
    if sender is not None:
        found.sent = sender.flush()
    return found


def queue(obj: dict, tombstone: Entry | None, place: Place, ledger: Ledger, origin: str) -> Entry | None:
    """Record the object as queued (in place of its tombstone, if it was erased before); None
    when another path recorded it first."""
    key, etag, size = obj["Key"], obj["ETag"], obj["Size"]
    if tombstone is not None:
        return ledger.revive(tombstone, place.media_bucket, key, etag, size, place.job_name_prefix, origin=origin)
    entry, created = ledger.record(place.media_bucket, key, etag, size, place.job_name_prefix, origin=origin)
    return entry if created else None


def done_before(obj: dict, place: Place, ledger: Ledger, s3, write: bool = True, outputs: dict | None = None) -> bool:
    """Whether the object already has its transcript or error note, written after it; if so (and
    `write`) it is recorded as done."""
    key = obj["Key"]
    for state, output_key in ((COMPLETED, naming.transcript_key), (FAILED, naming.error_key)):
        location = output_key(place.output_prefix, key)
        if outputs is not None:
            written = outputs.get(location)
        else:
            written = (head(s3, place.output_bucket, location) or {}).get("LastModified")
        if written is not None and written >= obj["LastModified"]:
            if write:
                reason = error_reason(s3, place.output_bucket, location) if state == FAILED else ""
                ledger.adopt(place.media_bucket, key, obj["ETag"], obj["Size"], state, reason)
            return True
    return False


def head(s3, bucket: str, key: str) -> dict | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def error_reason(s3, bucket: str, key: str) -> str:
    try:
        return str(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).get("reason", ""))
    except (ValueError, AttributeError):
        return "see the .error.json note"
