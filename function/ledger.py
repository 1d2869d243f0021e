"""The ledger: one DynamoDB item per media object version, from the first report of its upload to
its end — a transcript, or the reason there is none. Every path that reports an upload (the S3
notification and its redeliveries, the reconciler, a backfill, a redrive) records it here first;
a conditional write creates the item once, with the one job name the upload will ever get, and
moves it from `queued` to `started` once, so an upload is transcribed exactly once.

An item (DynamoDB attribute: meaning):
  media, version   the key: naming.ledger_id(bucket, key), naming.upload_version(etag, size)
  key, bucket, size, etag
  state            queued, started, completed, failed, rejected, dead-lettered or deleted
  jobName, attempt the job's name, and how many times a re-transcription was forced
  origin           who reported the upload first: s3, reconcile, backfill, adopted, force
  queuedAt, startedAt, endedAt, deletedAt   epoch seconds
  reason           why there is no transcript (failed, rejected, dead-lettered)
  minutes          minutes transcribed (completed)
  pending, due     only while queued or started: the sparse index the reconciler reads, due
                   being when it should look at the item next
An erased object keeps a `deleted` item with its two keys and deletedAt only (the key is a
digest): a late report of the erased upload then starts nothing.

Standard library and boto3 only; the media tool imports it too.
"""

import json
import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

try:  # part of a package: the program, the media tool
    from . import naming
except ImportError:  # in the Lambda package, whose modules sit at the top level
    import naming

QUEUED, STARTED, COMPLETED, FAILED = "queued", "started", "completed", "failed"
REJECTED, DEAD_LETTERED, DELETED = "rejected", "dead-lettered", "deleted"
STATES = (QUEUED, STARTED, COMPLETED, FAILED, REJECTED, DEAD_LETTERED, DELETED)
# An upload in one of these has its transcript or a recorded reason.
ENDED = (COMPLETED, FAILED, REJECTED)
# What may still start a job: a new report, or a redrive of a dead-lettered upload.
STARTABLE = (QUEUED, DEAD_LETTERED)

PENDING_INDEX = "pending"
# Items that are not media (the reconciler's own state) have a media key starting with this.
INTERNAL = "#"

DAY = 24 * 3600
# The upload queue keeps a message 14 days. An upload still queued this long after its message
# was sent is sent again by the reconciler (which runs at least daily), before the message expires.
RESEND_AFTER = 12 * DAY
# The reconciler looks at a started job this long after it started, then less and less often.
FIRST_CHECK_AFTER = 5 * 60

CONDITION_FAILED = "ConditionalCheckFailedException"


def _s(value: str) -> dict:
    return {"S": value}


def _n(value: float) -> dict:
    return {"N": str(int(value)) if float(value).is_integer() else repr(float(value))}


def _value(attribute: dict):
    if "S" in attribute:
        return attribute["S"]
    if "N" in attribute:
        number = float(attribute["N"])
        return int(number) if number.is_integer() else number
    return None


@dataclass(frozen=True)
class Entry:
    """One item of the ledger."""

    media: str
    version: str
    state: str
    key: str = ""
    bucket: str = ""
    size: int | None = None
    etag: str = ""
    job_name: str = ""
    attempt: int = 0
    origin: str = ""
    reason: str = ""
    minutes: float | None = None
    queued_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    due: float | None = None
    checks: int = 0
    deleted_at: float | None = None

    @classmethod
    def of(cls, item: dict) -> "Entry":
        v = {name: _value(attribute) for name, attribute in item.items()}
        return cls(
            media=v["media"], version=v["version"], state=v.get("state", ""), key=v.get("key", ""),
            bucket=v.get("bucket", ""), size=v.get("size"), etag=v.get("etag", ""), job_name=v.get("jobName", ""),
            attempt=v.get("attempt", 0), origin=v.get("origin", ""), reason=v.get("reason", ""),
            minutes=v.get("minutes"), queued_at=v.get("queuedAt"), started_at=v.get("startedAt"),
            ended_at=v.get("endedAt"), due=v.get("due"), checks=v.get("checks", 0), deleted_at=v.get("deletedAt"),
        )  # fmt: skip

    @property
    def keys(self) -> dict:
        return {"media": _s(self.media), "version": _s(self.version)}


def job_name_of(job_name_prefix: str, bucket: str, key: str, version: str, attempt: int = 0) -> str:
    return naming.job_name(job_name_prefix, bucket, key, naming.attempt_id(version, attempt))


def is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == CONDITION_FAILED


def conditionally(call, **request) -> bool:
    """Make a conditional write; False when its condition did not hold."""
    try:
        call(**request)
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


class Ledger:
    """The ledger table, through a DynamoDB client the caller makes."""

    def __init__(self, client, table: str, clock=time.time):
        self.client = client
        self.table = table
        self.clock = clock

    # --- reporting an upload -------------------------------------------------------------------

    def record(self, bucket: str, key: str, etag: str, size: int, job_name_prefix: str, *, origin: str,
               sent_at: float | None = None) -> tuple[Entry, bool]:  # fmt: skip
        """The upload's item, created as `queued` if this is its first report; (entry, created).
        `sent_at`: when the message that reports it was sent (default now)."""
        now = self.clock()
        version = naming.upload_version(etag, size)
        item = {
            "media": _s(naming.ledger_id(bucket, key)), "version": _s(version), "key": _s(key), "bucket": _s(bucket),
            "size": _n(size), "etag": _s(etag.strip('"')), "state": _s(QUEUED), "attempt": _n(0),
            "jobName": _s(job_name_of(job_name_prefix, bucket, key, version)), "origin": _s(origin),
            "queuedAt": _n(now), "pending": _s(QUEUED), "due": _n((sent_at or now) + RESEND_AFTER),
        }  # fmt: skip
        try:
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(media)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )  # fmt: skip
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            old = error.response.get("Item") or self._get(item["media"], item["version"])
            return Entry.of(old), False
        return Entry.of(item), True

    def revive(self, tombstone: Entry, bucket: str, key: str, etag: str, size: int, job_name_prefix: str, *,
               origin: str, sent_at: float | None = None) -> Entry | None:  # fmt: skip
        """The same content uploaded again after it was erased: a new queued item in place of the
        tombstone, with a job name no earlier job of the version had. None if the tombstone
        changed meanwhile."""
        now = self.clock()
        attempt = int(tombstone.deleted_at or now)
        item = {
            **tombstone.keys, "key": _s(key), "bucket": _s(bucket), "size": _n(size), "etag": _s(etag.strip('"')),
            "state": _s(QUEUED), "attempt": _n(attempt), "origin": _s(origin), "queuedAt": _n(now),
            "jobName": _s(job_name_of(job_name_prefix, bucket, key, tombstone.version, attempt)),
            "pending": _s(QUEUED), "due": _n((sent_at or now) + RESEND_AFTER),
        }  # fmt: skip
        revived = conditionally(
            self.client.put_item, TableName=self.table, Item=item, ConditionExpression="#state = :deleted AND deletedAt = :when",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":deleted": _s(DELETED), ":when": _n(tombstone.deleted_at or 0)},
        )  # fmt: skip
        return Entry.of(item) if revived else None

    def adopt(self, bucket: str, key: str, etag: str, size: int, state: str, reason: str = "") -> bool:
        """Record an upload that already has its transcript (`completed`) or error note
        (`failed`) but no item: a bucket adopted, or a stack from before the ledger."""
        now = self.clock()
        item = {
            "media": _s(naming.ledger_id(bucket, key)), "version": _s(naming.upload_version(etag, size)),
            "key": _s(key), "bucket": _s(bucket), "size": _n(size), "etag": _s(etag.strip('"')), "state": _s(state),
            "attempt": _n(0), "origin": _s("adopted"), "queuedAt": _n(now), "endedAt": _n(now),
        }  # fmt: skip
        if reason:
            item["reason"] = _s(reason)
        return self._put_new(item)

    def _put_new(self, item: dict) -> bool:
        return conditionally(self.client.put_item, TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(media)")

    # --- moving an upload on -------------------------------------------------------------------

    def started(self, entry: Entry) -> bool:
        """queued (or dead-lettered) -> started; False if another path moved it already."""
        now = self.clock()
        return self._update(
            entry,
            "SET #state = :started, startedAt = :now, pending = :started, due = :due REMOVE reason",
            "#state IN (:queued, :dead) AND jobName = :job",
            {":started": _s(STARTED), ":now": _n(now), ":due": _n(now + FIRST_CHECK_AFTER), ":queued": _s(QUEUED),
             ":dead": _s(DEAD_LETTERED), ":job": _s(entry.job_name)},
        )  # fmt: skip

    def rejected(self, entry: Entry, reason: str) -> bool:
        """The media will never be transcribed (too large, refused by Transcribe)."""
        return self._update(
            entry,
            "SET #state = :rejected, reason = :reason, endedAt = :now REMOVE pending, due",
            "#state IN (:queued, :dead) AND jobName = :job",
            {":rejected": _s(REJECTED), ":reason": _s(reason), ":now": _n(self.clock()), ":queued": _s(QUEUED),
             ":dead": _s(DEAD_LETTERED), ":job": _s(entry.job_name)},
        )  # fmt: skip

    def dead_lettered(self, entry: Entry, reason: str) -> bool:
        """The upload's message went to the dead-letter queue: it waits for a redrive."""
        return self._update(
            entry,
            "SET #state = :dead, reason = :reason REMOVE pending, due",
            "#state = :queued AND jobName = :job",
            {":dead": _s(DEAD_LETTERED), ":reason": _s(reason), ":queued": _s(QUEUED), ":job": _s(entry.job_name)},
        )

    def sent_again(self, entry: Entry) -> bool:
        """Its upload was sent to the upload queue anew (a fresh 14 days)."""
        return self._update(
            entry, "SET due = :due", "#state = :queued",
            {":due": _n(self.clock() + RESEND_AFTER), ":queued": _s(QUEUED)},
        )  # fmt: skip

    def resend_now(self, entry: Entry) -> bool:
        """Its message could not be sent: the reconciler's next run sends it."""
        return self._update(entry, "SET due = :due", "#state = :queued", {":due": _n(self.clock()), ":queued": _s(QUEUED)})

    def check_later(self, entry: Entry, due: float) -> bool:
        """A started job the reconciler looked at: look again at `due`."""
        return self._update(
            entry, "SET due = :due, checks = if_not_exists(checks, :zero) + :one", "#state = :started AND jobName = :job",
            {":due": _n(due), ":zero": _n(0), ":one": _n(1), ":started": _s(STARTED), ":job": _s(entry.job_name)},
        )  # fmt: skip

    def find_job(self, bucket: str, key: str, job_name: str) -> tuple[Entry | None, bool]:
        """(the entry that names the job, whether the object was erased). No entry and not erased:
        a job from before the ledger, whose object the reconciler adopts."""
        entries = self.versions(bucket, key)
        mine = next((entry for entry in entries if entry.job_name == job_name), None)
        return mine, mine is None and any(entry.state == DELETED for entry in entries)

    def end(self, entry: Entry, state: str, reason: str = "", minutes: float | None = None) -> bool:
        """Record the end of the entry's job: completed (with the minutes transcribed) or failed
        (with why). False when the object was erased meanwhile."""
        values = {":state": _s(state), ":now": _n(self.clock()), ":job": _s(entry.job_name), ":deleted": _s(DELETED)}
        extra = ""
        if reason:
            extra += ", reason = :reason"
            values[":reason"] = _s(reason)
        if minutes is not None:
            extra += ", minutes = :minutes"
            values[":minutes"] = _n(round(minutes, 2))
        return self._update(
            entry, f"SET #state = :state, endedAt = :now{extra} REMOVE pending, due", "jobName = :job AND #state <> :deleted", values
        )

    def force(self, bucket: str, key: str, etag: str, size: int, job_name_prefix: str) -> Entry | None:
        """Queue the upload for a new transcription with a job name of its own (attempt + 1);
        None while its job is running."""
        version = naming.upload_version(etag, size)
        media = naming.ledger_id(bucket, key)
        old = self._get(_s(media), _s(version))
        attempt = (Entry.of(old).attempt if old else 0) + 1
        now = self.clock()
        item = {
            "media": _s(media), "version": _s(version), "key": _s(key), "bucket": _s(bucket), "size": _n(size),
            "etag": _s(etag.strip('"')), "state": _s(QUEUED), "attempt": _n(attempt),
            "jobName": _s(job_name_of(job_name_prefix, bucket, key, version, attempt)), "origin": _s("force"),
            "queuedAt": _n(now), "pending": _s(QUEUED), "due": _n(now + RESEND_AFTER),
        }  # fmt: skip
        forced = conditionally(
            self.client.put_item, TableName=self.table, Item=item,
            ConditionExpression="attribute_not_exists(media) OR (#state <> :started AND attempt = :old)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":started": _s(STARTED), ":old": _n(attempt - 1)},
        )  # fmt: skip
        return Entry.of(item) if forced else None

    def erase(self, bucket: str, key: str) -> int:
        """Replace every item of the key by a `deleted` one with no personal data; how many."""
        entries = self.versions(bucket, key)
        for entry in entries:
            tombstone = {**entry.keys, "state": _s(DELETED), "deletedAt": _n(self.clock())}
            self.client.put_item(TableName=self.table, Item=tombstone)
        return len(entries)

    # --- reading ------------------------------------------------------------------------------

    def versions(self, bucket: str, key: str) -> list[Entry]:
        """Every item of a media key (its versions, and any tombstone)."""
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table, KeyConditionExpression="media = :media", ConsistentRead=True,
            ExpressionAttributeValues={":media": _s(naming.ledger_id(bucket, key))},
        )  # fmt: skip
        return [Entry.of(item) for page in pages for item in page.get("Items", [])]

    def due(self, state: str, until: float):
        """The items in `state` (queued or started) due by `until`, soonest first."""
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table, IndexName=PENDING_INDEX,
            KeyConditionExpression="pending = :state AND due <= :until",
            ExpressionAttributeValues={":state": _s(state), ":until": _n(until)},
        )  # fmt: skip
        for page in pages:
            yield from (Entry.of(item) for item in page.get("Items", []))

    def get_many(self, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], Entry]:
        """The items of up to 100 (media, version) pairs that exist, by pair."""
        found: dict[tuple[str, str], Entry] = {}
        request = {self.table: {"Keys": [{"media": _s(m), "version": _s(v)} for m, v in dict.fromkeys(wanted)]}}
        attempts = 0
        while request.get(self.table, {}).get("Keys"):
            answer = self.client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(self.table, []):
                entry = Entry.of(item)
                found[(entry.media, entry.version)] = entry
            request = answer.get("UnprocessedKeys") or {}
            attempts += 1
            if request and attempts < 8:
                time.sleep(min(2.0, 0.05 * 2**attempts))
            elif request:
                raise RuntimeError(f"DynamoDB left {len(request[self.table]['Keys'])} keys unread after {attempts} tries")
        return found

    def _get(self, media: dict, version: dict) -> dict | None:
        answer = self.client.get_item(TableName=self.table, Key={"media": media, "version": version}, ConsistentRead=True)
        return answer.get("Item")

    def _update(self, entry: Entry, expression: str, condition: str, values: dict) -> bool:
        return conditionally(
            self.client.update_item, TableName=self.table, Key=entry.keys, UpdateExpression=expression,
            ConditionExpression=condition, ExpressionAttributeNames={"#state": "state"}, ExpressionAttributeValues=values,
        )  # fmt: skip


def request_body(bucket: str, key: str, etag: str, size: int, origin: str, written: float | None = None) -> str:
    """An upload queue message that reports one upload, as the reconciler and the media tool send
    it (S3 sends its own notifications); `written`: when S3 wrote the object, if known."""
    request = {"bucket": bucket, "key": key, "eTag": etag.strip('"'), "size": int(size), "origin": origin}
    if written is not None:
        request["written"] = written
    return json.dumps({"Requests": [request]})
