"""The account of a stack's media: every media object under the key prefix, matched with its ledger
item and its transcript, and what each one that is not accounted for needs. Pure bookkeeping:
`audit` feeds it what it listed and scanned.

An object is accounted for when it has its transcript (completed; the transcript is in the bucket),
or a recorded reason there is none (failed, rejected, or an error note from before the ledger),
or is on its way (queued while its message waits, started while its job runs, or too new to have
been reported yet). Anything else is a gap, with what to do about it.
"""

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field

from transcribe_pipeline.function import ledger, naming

# How long after an upload S3's notification may still be on its way (the reconciler's grace).
GRACE = 15 * 60
# A job started this long ago is looked up in Transcribe, to tell a running job from a lost end.
LOOK_UP_STARTED_AFTER = 60 * 60


def digest(*parts: str) -> bytes:
    return hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=12).digest()


@dataclass(frozen=True)
class Item:
    """What the audit keeps of a ledger item that is not simply done."""

    state: str
    job_name: str = ""
    reason: str = ""
    queued_at: float = 0.0
    started_at: float = 0.0
    due: float = 0.0
    deleted_at: float = 0.0


@dataclass
class Gap:
    key: str
    state: str
    problem: str
    action: str


@dataclass
class Account:
    """The audit's findings, built up page by page."""

    now: float
    selection: str
    """The flags that name the stack, for the commands the gaps advise."""
    queue_empty: bool
    counts: Counter = field(default_factory=Counter)
    gaps: list[Gap] = field(default_factory=list)
    to_look_up: list[tuple[str, Item]] = field(default_factory=list)
    """(key, item) of jobs started long ago: running, or ended without their end recorded?"""
    objects: int = 0

    _items: dict = field(default_factory=dict, repr=False)
    _transcripts: set = field(default_factory=set, repr=False)
    _notes: set = field(default_factory=set, repr=False)

    # --- what was read -----------------------------------------------------------------------

    def add_ledger_page(self, items: list[dict]) -> None:
        for raw in items:
            media, version = raw["media"]["S"], raw["version"]["S"]
            if media.startswith(ledger.INTERNAL):
                continue
            entry = ledger.Entry.of(raw)
            self._items[digest(media, version)] = entry.state if entry.state in ledger.ENDED else Item(
                entry.state, entry.job_name, entry.reason, entry.queued_at or 0.0, entry.started_at or 0.0,
                entry.due or 0.0, entry.deleted_at or 0.0,
            )  # fmt: skip

    def add_output_page(self, objects: list[dict]) -> None:
        for obj in objects:
            key = obj["Key"]
            if key.endswith(naming.ERROR_SUFFIX):
                self._notes.add(digest(key))
            elif key.endswith(naming.TRANSCRIPT_SUFFIX):
                self._transcripts.add(digest(key))

    def add_media_page(self, objects: list[dict], bucket: str, output_prefix: str) -> None:
        for obj in objects:
            key = obj["Key"]
            if key.endswith("/") or naming.media_format(key) is None:
                continue
            self.objects += 1
            version = naming.upload_version(obj["ETag"], obj["Size"])
            item = self._items.get(digest(naming.ledger_id(bucket, key), version))
            has_transcript = digest(naming.transcript_key(output_prefix, key)) in self._transcripts
            has_note = digest(naming.error_key(output_prefix, key)) in self._notes
            self._account(key, obj["LastModified"].timestamp(), item, has_transcript, has_note)

    # --- what each object needs --------------------------------------------------------------

    def _account(self, key: str, written: float, item, has_transcript: bool, has_note: bool) -> None:
        state = item if isinstance(item, str) else getattr(item, "state", None)
        if state is None or (state == ledger.DELETED and written > item.deleted_at):
            if has_transcript or has_note:
                self.counts["done before the ledger"] += 1
            elif written > self.now - GRACE:
                self.counts["new"] += 1
            else:
                self._gap(key, "unrecorded", "no ledger item and no transcript (a missed notification, or there before the stack)",
                          f"`mediactl backfill {self.selection}` sends it; the reconciler's next run would too")  # fmt: skip
            return
        self.counts[state] += 1
        if state == ledger.COMPLETED and not has_transcript:
            self._gap(key, state, "the ledger says completed but the transcript is not in the bucket",
                      f"`mediactl backfill {self.selection} --force {key}` transcribes it again")  # fmt: skip
        elif state == ledger.DEAD_LETTERED:
            self._gap(key, state, f"in the dead-letter queue: {item.reason}", f"fix the cause, then `mediactl redrive {self.selection}`")
        elif state == ledger.QUEUED and (item.due < self.now or (self.queue_empty and item.queued_at < self.now - GRACE)):
            self._gap(key, state, "queued, but no message in the upload queue stands for it",
                      "the reconciler's next run sends it again (or invoke the reconciler with {})")  # fmt: skip
        elif state == ledger.STARTED and item.started_at < self.now - LOOK_UP_STARTED_AFTER:
            self.to_look_up.append((key, item))

    def _gap(self, key: str, state: str, problem: str, action: str) -> None:
        self.gaps.append(Gap(key, state, problem, action))

    def job_looked_up(self, key: str, item: Item, job: dict | None) -> None:
        """What Transcribe said of a job started long ago (None: it has no such job)."""
        status = (job or {}).get("TranscriptionJobStatus")
        if job is None:
            self._gap(key, ledger.STARTED, f"Transcribe has no job {item.job_name}",
                      "the reconciler's next run records it as failed; then `mediactl backfill --force`")  # fmt: skip
        elif status in ("COMPLETED", "FAILED"):
            self._gap(key, ledger.STARTED, f"its job ended ({status}) but the end was never recorded",
                      "the reconciler's next run finishes it (writes the .txt or .error.json)")  # fmt: skip

    @property
    def healthy(self) -> bool:
        return not self.gaps

    def as_json(self) -> dict:
        return {
            "objects": self.objects, "counts": dict(self.counts), "gaps": [asdict(gap) for gap in self.gaps],
            "healthy": self.healthy,
        }  # fmt: skip

