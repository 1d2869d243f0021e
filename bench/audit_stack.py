"""The stack `python -m bench audit` audits: N media objects, their transcripts and their ledger
items, made up on demand from each object's number, so that a million objects cost no memory.

Object `i` (its "slot") has one media key; every key of the slot, in either bucket, starts with
the same stem (`archive/2019/03/talk-0123456`, or `talk-0123456` in a flat bucket), so the keys of
slot i sort before those of slot i + 1 and a listing walks the slots in order. Most objects are
`completed` with a `.json` transcript, its `.srt` subtitles and `.txt` text, as a transcribed stack
has them; a few of each other state, and a few of each kind of gap, are spread evenly over the
slots. `expected()` is what an audit must find, tallied from the categories alone.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from transcribe_pipeline.function import ledger, naming

DAY = 86400
# Per million objects: (category, how many). Each category says what the object has (ledger
# item, outputs, age) and what the audit must count or report for it.
PER_MILLION = (
    ("failed", 1000), ("rejected", 100), ("queued", 500), ("queued-lost", 10), ("started", 200),
    ("started-running", 10), ("started-ended", 5), ("started-gone", 5), ("dead-lettered", 10),
    ("lost-transcript", 10), ("unrecorded", 10), ("adopted", 100), ("new", 50), ("reuploaded", 5),
)  # fmt: skip
# Tombstones of erased objects no longer in the bucket, per million: scanned, matched with nothing.
ERASED_PER_MILLION = 100
# Every this many slots the media object has a non-media neighbour (a cover image).
SIDECAR_EVERY = 97
# Every this many slots the key has spaces (its transcript key is cleaned and given a digest).
SPACED_EVERY = 53
EXTENSIONS = ("mp3", "mp3", "mp3", "wav", "m4a", "MP4", "flac", "mp3")
FOLDERS = 120  # archive/<year>/<month>/: ten years of months
ARCHIVED_AT = datetime(2021, 6, 1, tzinfo=timezone.utc).timestamp()

# What each category counts as (the audit's `counts` key; None: nothing counted) and whether it
# is a gap the audit must report.
COUNTED = {
    "completed": ledger.COMPLETED, "failed": ledger.FAILED, "rejected": ledger.REJECTED, "queued": ledger.QUEUED,
    "queued-lost": ledger.QUEUED, "started": ledger.STARTED, "started-running": ledger.STARTED,
    "started-ended": ledger.STARTED, "started-gone": ledger.STARTED, "dead-lettered": ledger.DEAD_LETTERED,
    "lost-transcript": ledger.COMPLETED, "unrecorded": None, "adopted": "done before the ledger", "new": "new",
    "reuploaded": None,
}  # fmt: skip
OUTPUTS = {
    "completed": [naming.TRANSCRIPT_SUFFIX, ".srt", naming.TEXT_SUFFIX], "adopted": [naming.TRANSCRIPT_SUFFIX, ".srt", naming.TEXT_SUFFIX],
    "lost-transcript": [".srt", naming.TEXT_SUFFIX], "failed": [naming.ERROR_SUFFIX], "rejected": [naming.ERROR_SUFFIX],
}  # fmt: skip
GAPS = {"queued-lost", "started-ended", "started-gone", "dead-lettered", "lost-transcript", "unrecorded", "reuploaded"}
# Transcribe's answer to GetTranscriptionJob for a job started over an hour ago (None: no such job).
JOB_STATUS = {"started-running": "IN_PROGRESS", "started-ended": "COMPLETED", "started-gone": None}


@dataclass(frozen=True)
class FakeStack:
    objects: int
    folders: bool = True
    input_bucket: str = "bench-media-in"
    output_bucket: str = "bench-transcripts-out"
    table: str = "bench-ledger"
    output_prefix: str = naming.DEFAULT_OUTPUT_PREFIX
    job_name_prefix: str = "media-bench-1a2b3c-"
    queue_url: str = "https://sqs.us-east-1.amazonaws.com/123456789012/bench-upload-queue"
    _special: dict = field(default_factory=dict, compare=False, repr=False)
    _slots: list = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        taken = self._special
        for offset, (category, per_million) in enumerate(PER_MILLION, 1):
            count = max(1, round(per_million * self.objects / 1_000_000))
            for n in range(count):
                slot = (offset * 7919 + n * self.objects // count) % self.objects
                while slot in taken:
                    slot = (slot + 1) % self.objects
                taken[slot] = category
        self._slots.extend(sorted(taken))

    # --- the objects ---------------------------------------------------------------------------

    @property
    def width(self) -> int:
        return max(7, len(str(self.objects)))

    @property
    def erased(self) -> int:
        return max(1, round(ERASED_PER_MILLION * self.objects / 1_000_000))

    def category(self, slot: int) -> str:
        return self._special.get(slot, "completed")

    def stem(self, slot: int) -> str:
        name = f"talk-{slot:0{self.width}d}"
        if not self.folders:
            return name
        folder = slot * FOLDERS // self.objects
        return f"archive/{2015 + folder // 12}/{folder % 12 + 1:02d}/{name}"

    def media_key(self, slot: int) -> str:
        spaced = " final cut" if slot % SPACED_EVERY == 5 else ""
        return f"{self.stem(slot)}{spaced}.{EXTENSIONS[slot % len(EXTENSIONS)]}"

    def etag(self, slot: int) -> str:
        return hashlib.md5(str(slot).encode()).hexdigest()

    def size(self, slot: int) -> int:
        return 400_000 + slot * 7919 % 90_000_000

    def written(self, slot: int, now: float) -> float:
        """LastModified of the media object (a new upload: a minute ago)."""
        return now - 60 if self.category(slot) == "new" else ARCHIVED_AT + slot % 86_400

    def media_objects(self, slot: int, now: float) -> list[dict]:
        """The slot's objects in the media bucket, in key order: (key, etag, size, written)."""
        media = {"Key": self.media_key(slot), "ETag": self.etag(slot), "Size": self.size(slot), "written": self.written(slot, now)}
        if slot % SIDECAR_EVERY != 3:
            return [media]
        cover = {"Key": f"{self.stem(slot)}.jpg", "ETag": self.etag(-slot - 1), "Size": 48_213, "written": media["written"]}
        return sorted([media, cover], key=lambda obj: obj["Key"])

    def output_objects(self, slot: int, now: float) -> list[dict]:
        """The slot's objects in the transcript bucket, in key order."""
        category, key = self.category(slot), self.media_key(slot)
        suffixes = OUTPUTS.get(category, [])
        if not suffixes:
            return []
        base = naming.transcript_base(self.output_prefix, key)
        written = ARCHIVED_AT + DAY + slot % 86_400
        return sorted(
            ({"Key": base + suffix, "ETag": self.etag(slot * 7 + n), "Size": 2_000 + slot % 50_000, "written": written}
             for n, suffix in enumerate(suffixes)),
            key=lambda obj: obj["Key"],
        )  # fmt: skip

    # --- the ledger ----------------------------------------------------------------------------

    @property
    def ledger_items(self) -> int:
        """Media items and tombstones of erased objects (internal items apart)."""
        return self.objects + self.erased

    def ledger_item(self, index: int, now: float) -> dict | None:
        """Item `index` of the table (0..ledger_items - 1) as DynamoDB stores it, every attribute
        the pipeline writes; None for an object that has no item."""
        if index >= self.objects:
            erased = f"erased-{index}"
            return {"media": {"S": hashlib.sha256(erased.encode()).hexdigest()[:32]}, "version": {"S": f"1000-{erased}"},
                    "state": {"S": ledger.DELETED}, "deletedAt": {"N": str(int(ARCHIVED_AT + DAY))}}  # fmt: skip
        category = self.category(index)
        if category in ("unrecorded", "adopted", "new"):
            return None
        key, etag, size = self.media_key(index), self.etag(index), self.size(index)
        version = naming.upload_version(etag, size)
        media = {"S": naming.ledger_id(self.input_bucket, key)}
        if category == "reuploaded":  # erased, then the same content uploaded again (unreported)
            return {"media": media, "version": {"S": version}, "state": {"S": ledger.DELETED},
                    "deletedAt": {"N": str(int(self.written(index, now) - DAY))}}  # fmt: skip
        written = self.written(index, now)
        state = COUNTED[category]
        item = {
            "media": media, "version": {"S": version}, "key": {"S": key}, "bucket": {"S": self.input_bucket},
            "size": {"N": str(size)}, "etag": {"S": etag}, "state": {"S": state}, "attempt": {"N": "0"},
            "jobName": {"S": self.job_name(index)}, "origin": {"S": "s3"}, "queuedAt": {"N": str(int(written + 5))},
        }  # fmt: skip
        if state == ledger.QUEUED:
            lost = category == "queued-lost"
            item["queuedAt"] = {"N": str(int(now - (2 * DAY if lost else 120)))}
            item.update(pending={"S": state}, due={"N": str(int(now - 3600 if lost else now + 12 * DAY))})
        elif state == ledger.STARTED:
            started = now - (600 if category == "started" else 2 * 3600)
            item.update(startedAt={"N": str(int(started))}, pending={"S": state}, due={"N": str(int(started + 300))})
        elif state == ledger.DEAD_LETTERED:
            item["reason"] = {"S": "Failed: AccessDeniedException (after 5 receives)"}
        else:
            item.update(startedAt={"N": str(int(written + 6))}, endedAt={"N": str(int(written + 200))})
            if state == ledger.COMPLETED:
                item["minutes"] = {"N": f"{1 + index % 600 / 10:g}"}
            else:
                item["reason"] = {"S": "The media file is 2 GB or larger" if state == ledger.REJECTED
                                  else "Failed: The media format provided does not match the detected media format"}  # fmt: skip
        return item

    def job_name(self, slot: int) -> str:
        return ledger.job_name_of(self.job_name_prefix, self.input_bucket, self.media_key(slot),
                                  naming.upload_version(self.etag(slot), self.size(slot)))  # fmt: skip

    def job_status(self, job_name: str) -> str | None:
        """GetTranscriptionJob's status for one of the stack's jobs; None: Transcribe has none."""
        for slot in self._slots:
            category = self.category(slot)
            if category in JOB_STATUS and self.job_name(slot) == job_name:
                return JOB_STATUS[category]
        return "COMPLETED" if job_name.startswith(self.job_name_prefix) else None

    # --- what an audit must find ----------------------------------------------------------------

    def expected(self) -> dict:
        """The audit's `objects`, `counts` and the keys of its gaps, from the categories alone."""
        categories = Counter(self._special.values())
        categories["completed"] = self.objects - len(self._special)
        counts = Counter()
        for category, number in categories.items():
            if COUNTED[category]:
                counts[COUNTED[category]] += number
        gaps = sorted(self.media_key(slot) for slot in self._slots if self.category(slot) in GAPS)
        return {"objects": self.objects, "counts": dict(counts), "gaps": gaps}

    def keys(self) -> tuple[int, int]:
        """How many keys the media bucket and the transcript bucket hold."""
        categories = Counter(self._special.values())
        categories["completed"] = self.objects - len(self._special)
        covers = len(range(3, self.objects, SIDECAR_EVERY))
        return self.objects + covers, sum(len(OUTPUTS.get(category, [])) * number for category, number in categories.items())
