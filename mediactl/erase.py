"""`delete KEY...`: the right to erasure. For each media key: the media object (every version of
it, in a versioned bucket), every output of it (the JSON, the .txt, subtitles, the error note, the
unredacted transcripts, and any file its jobs say they wrote), its Transcribe job records, and its
ledger items, which become tombstones with no personal data (the key's digest, the version and the
time), so that a late report of the erased upload starts nothing. Asks first; --yes does not.

A key whose job is still queued or running is left alone (its output would come back): delete it
again once the job has ended.
"""

import shlex
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from mediactl import jobs, stack
from mediactl.aws import Clients, error_code
from mediactl.errors import EXIT_FAILURE, BadInput
from mediactl.terminal import confirmed, count, report_error
from mediactl.transcripts import s3_location
from transcribe_pipeline.function import common, naming
from transcribe_pipeline.function import ledger as ledger_module

NEEDED = ("inputBucket", "outputBucket", "ledgerTableName", "keyPrefix", "outputPrefix", "jobNamePrefix")
RUNNING = ("QUEUED", "IN_PROGRESS")


@dataclass
class Erasure:
    """What erasing one media key removes."""

    key: str
    outputs: set[str] = field(default_factory=set)
    jobs: list[dict] = field(default_factory=list)
    ledger_items: int = 0

    @property
    def running(self) -> list[str]:
        return [job["TranscriptionJobName"] for job in self.jobs if job.get("TranscriptionJobStatus") in RUNNING]


def run(args) -> int:
    target = stack.target_of(args, NEEDED)
    for key in args.keys:
        if not key or not key.startswith(target.key_prefix) or key.endswith("/"):
            raise BadInput(f"{key!r} is not a media key of {target.label}: give keys as they are in the media bucket, under {target.key_prefix!r}")
    clients = Clients(target.region)
    ledger = ledger_module.Ledger(clients.dynamodb, target.outputs["ledgerTableName"])
    plans = [plan(clients, target, ledger, key) for key in dict.fromkeys(args.keys)]
    busy = [p for p in plans if p.running]
    for erasure in busy:
        report_error(f"{erasure.key}: its job {erasure.running[0]} is still queued or running: nothing of it deleted; delete it again once the job has ended")
    ready = [p for p in plans if not p.running]
    if not ready:
        return EXIT_FAILURE
    question = (
        f"Delete {count(len(ready), 'media object')} ({', '.join(shlex.quote(p.key) for p in ready[:3])}{', ...' if len(ready) > 3 else ''}),"
        f" {count(sum(len(p.outputs) for p in ready), 'output file')} and {count(sum(len(p.jobs) for p in ready), 'transcription job')}"
        " for good?"
    )
    if not args.yes and not confirmed(question):
        print("nothing deleted")
        return EXIT_FAILURE
    for erasure in ready:
        erase(clients, target, ledger, erasure)
        print(f"deleted {erasure.key}: the media, {count(len(erasure.outputs), 'output file')}, {count(len(erasure.jobs), 'job record')};"
              f" ledger: {count(erasure.ledger_items, 'item')} kept as a tombstone without the key")  # fmt: skip
    return EXIT_FAILURE if busy else 0


def plan(clients, target, ledger, key: str) -> Erasure:
    erasure = Erasure(key)
    prefix = target.output_prefix
    erasure.outputs = {
        naming.transcript_key(prefix, key), naming.text_key(prefix, key), naming.error_key(prefix, key),
        naming.unredacted_transcript_key(prefix, key), *(naming.subtitle_key(prefix, key, f) for f in naming.SUBTITLE_FORMATS),
    }  # fmt: skip
    erasure.jobs = jobs_of(clients, target, ledger, key)
    for job in erasure.jobs:
        erasure.outputs |= {location[1] for uri in output_uris(job) if (location := s3_location(uri)) and location[0] == target.output_bucket}
    return erasure


def jobs_of(clients, target, ledger, key: str) -> list[dict]:
    """The key's jobs: those its ledger items name, and those Transcribe lists under the key's part
    of a job name with the key as their media (jobs from before the ledger)."""
    names = {entry.job_name for entry in ledger.versions(target.input_bucket, key) if entry.job_name}
    readable = naming.job_name(target.job_name_prefix, target.input_bucket, key, "x").rsplit("-", 1)[0] + "-"
    media = f"s3://{target.input_bucket}/{key}"
    for summary in jobs.list_jobs(clients.transcribe, readable):
        names.add(summary["TranscriptionJobName"])
    found = [job for name in sorted(names) if (job := common.get_job(clients.transcribe, name))]
    return [job for job in found if job.get("Media", {}).get("MediaFileUri") == media]


def output_uris(job: dict) -> list[str]:
    transcript = job.get("Transcript", {})
    return [
        *(transcript[name] for name in ("TranscriptFileUri", "RedactedTranscriptFileUri") if transcript.get(name)),
        *job.get("Subtitles", {}).get("SubtitleFileUris", []),
    ]


def erase(clients, target, ledger, erasure: Erasure) -> None:
    delete_every_version(clients.s3, target.input_bucket, [erasure.key])
    delete_every_version(clients.s3, target.output_bucket, sorted(erasure.outputs))
    for job in erasure.jobs:
        try:
            clients.transcribe.delete_transcription_job(TranscriptionJobName=job["TranscriptionJobName"])
        except ClientError as error:
            if error_code(error) != "BadRequestException":  # already gone
                raise
    erasure.ledger_items = ledger.erase(target.input_bucket, erasure.key)


def delete_every_version(s3, bucket: str, keys: list[str]) -> None:
    """Delete the objects, and in a versioned bucket every version and delete marker of them."""
    versioned = s3.get_bucket_versioning(Bucket=bucket).get("Status") in ("Enabled", "Suspended")
    wanted = set(keys)
    if not versioned:
        objects = [{"Key": key} for key in keys]
    else:
        objects = []
        for key in keys:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
                objects += [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
                    if v["Key"] in wanted
                ]
    for chunk in (objects[i : i + 1000] for i in range(0, len(objects), 1000)):
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        if answer.get("Errors"):
            error = answer["Errors"][0]
            raise ClientError({"Error": {"Code": error.get("Code", ""), "Message": f"{error.get('Key')}: {error.get('Message', '')}"}}, "DeleteObjects")


def add_parser(commands) -> None:
    command = commands.add_parser(
        "delete",
        help="erase media keys: the media, every transcript and note of it, its job records and its ledger record",
        description="The right to erasure. For each media KEY: the media object (every version), its JSON transcript, text,"
        " subtitles, error note and unredacted transcripts, its Transcribe job records, and its ledger items (kept as"
        " tombstones without the key, so that a late report of the upload starts nothing). Asks first. A key whose job"
        " is still running is left alone: delete it again once the job has ended.",
    )
    command.add_argument("keys", nargs="+", metavar="KEY", help="media keys as they are in the media bucket, e.g. team/talk.mp3")
    stack.add_stack_options(command)
    command.add_argument("--yes", action="store_true", help="delete without asking")
    command.set_defaults(run=run)
