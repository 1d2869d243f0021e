"""`selftest`: prove a deployed stack works end to end, the step after `pulumi up`.

It uploads a short speech clip shipped with the tool (clip/selftest.wav; its words and how it was
made in clip/SOURCES.md) under `<keyPrefix>mediactl-selftest/<run>/`, follows it through the
upload queue to its Transcribe job, then waits for what the stack writes for it: the JSON
transcript, the `.txt` and the subtitles the job was asked for. It prints when each stage was
reached (seconds since the upload began) and whether the clip's words were recognised (an
emulator's canned text will not hold them: said, never a failure), then removes everything it
made: the clip, every file written for it, the job record. Exit 0 when the round trip completed;
1 naming the stage that failed and why.
"""

import json
import re
import secrets
import time
from datetime import datetime, timezone
from importlib.resources import as_file, files

from botocore.exceptions import ClientError
from rich.text import Text

from mediactl import follow, jobs, stack, uploads
from mediactl.aws import Clients, describe_aws_error, is_aws_error, is_missing
from mediactl.errors import BadInput, ToolError
from mediactl.stack import Target
from mediactl.terminal import count, err, note
from transcribe_pipeline.function import naming
from transcribe_pipeline.function.ledger import Ledger

NEEDED = ("inputBucket", "outputBucket", "keyPrefix", "outputPrefix", "jobNamePrefix")
CLIP = "selftest.wav"
SPOKEN = "The quick brown fox jumps over the lazy dog."
# The clip's words (clip/SOURCES.md), each once, as a transcript writes them in lower case.
WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog")
FOLDER = "mediactl-selftest/"
# How long the job may take to end once started (a busy account's queued job waits its turn), and
# the files to appear once it ended (the completion function writes the .txt a moment later).
JOB_TIMEOUT = 900.0
OUTPUT_TIMEOUT = 120.0


class StageFailed(ToolError):
    def __init__(self, stage: str, why: str):
        super().__init__(f"selftest failed at '{stage}': {why}")


class Selftest:
    """One run: what it uploaded and started, so that all of it can be removed."""

    def __init__(self, clients: Clients, target: Target, key: str):
        self.clients, self.target, self.key = clients, target, key
        self.started = time.monotonic()
        self.job_name: str | None = None
        self.uploaded = False

    def reached(self, stage: str, detail: str = "") -> None:
        print(f"  {stage:<17}{time.monotonic() - self.started:7.1f} s  {detail}".rstrip())

    def stage(self, name: str, step, *args):
        """Run one stage; an AWS refusal fails it with AWS's reason."""
        try:
            return step(*args)
        except Exception as error:
            if not is_aws_error(error):
                raise
            raise StageFailed(name, describe_aws_error(error)) from None

    def round_trip(self) -> None:
        uploaded = self.stage("upload", self.upload)
        job = self.stage("job started", self.job_started, uploaded)
        job = self.stage("job completed", self.job_completed, job)
        self.stage("JSON", self.transcript, job)
        text = self.stage("text", self.text)
        self.stage("subtitles", self.subtitles, job)
        self.words(text)

    def upload(self) -> uploads.Uploaded:
        s3, bucket = self.clients.s3, self.target.input_bucket
        uploads.check_bucket(s3, bucket)
        with as_file(files("mediactl") / "clip" / CLIP) as path:
            media = uploads.MediaFile(path, path.stat().st_size, "wav", self.key)
            self.started = time.monotonic()
            [uploaded] = uploads.upload_files(s3, [media], bucket, err)
        self.uploaded = True
        self.reached("uploaded", uploaded.uri)
        return uploaded

    def job_started(self, uploaded: uploads.Uploaded) -> dict:
        with err.status(Text("selftest: looking for the clip's transcription job")) as spinner:
            found = follow.wait_for_job(
                self.clients, self.target, uploaded, lambda status: spinner.update(Text(f"selftest: {status}")), note
            )
        if isinstance(found, follow.Outcome):
            raise StageFailed("job started", found.failure)
        self.job_name = found["TranscriptionJobName"]
        through = " (the upload function took it from the upload queue)" if self.target.upload_queue_url else ""
        self.reached("job started", f"{self.job_name}{through}")
        return found

    def job_completed(self, job: dict) -> dict:
        with err.status(Text("selftest: waiting for the job to end")) as spinner:
            job = jobs.wait_for_end(
                self.clients.transcribe, job, lambda status: spinner.update(Text(f"selftest: job {status}")), timeout=JOB_TIMEOUT
            )
        status = job.get("TranscriptionJobStatus")
        if status == "FAILED":
            raise StageFailed("job completed", f"the job FAILED: {job.get('FailureReason') or 'Transcribe gave no reason'}")
        if status != "COMPLETED":
            raise StageFailed("job completed", f"the job is still {status} {JOB_TIMEOUT:.0f} s after it started")
        self.reached("job completed", status)
        return job

    def transcript(self, job: dict) -> None:
        key = naming.transcript_key(self.target.output_prefix, self.key)
        body = self.wait_for(key)
        if body is None:
            named = job.get("Transcript", {}).get("RedactedTranscriptFileUri") or job.get("Transcript", {}).get("TranscriptFileUri")
            raise StageFailed("JSON", f"no {self.uri(key)} {OUTPUT_TIMEOUT:.0f} s after the job ended (the job names {named})")
        try:
            results = json.loads(body).get("results")
        except (ValueError, AttributeError):
            results = None
        if not isinstance(results, dict):
            raise StageFailed("JSON", f"{self.uri(key)} is not Transcribe's JSON: it has no results object")
        self.reached("JSON transcript", self.uri(key))

    def text(self) -> str:
        key = naming.text_key(self.target.output_prefix, self.key)
        body = self.wait_for(key)
        if body is None:
            logs = self.target.outputs.get("completionLogGroupName")
            raise StageFailed(
                "text",
                f"no {self.uri(key)} {OUTPUT_TIMEOUT:.0f} s after the job ended: the completion function did not write it"
                f" (see {f'its log group {logs}' if logs else 'its log group'} and {self.target.command('status')})",
            )
        self.reached("text", self.uri(key))
        return body.decode("utf-8", errors="replace")

    def subtitles(self, job: dict) -> None:
        formats = job.get("Subtitles", {}).get("Formats") or self.formats_present()
        if not formats:
            self.reached("subtitles", "none: the stack writes no subtitles (subtitleFormats)")
            return
        for fmt in formats:
            key = naming.subtitle_key(self.target.output_prefix, self.key, fmt)
            if self.wait_for(key) is None:
                raise StageFailed(f"subtitles {fmt}", f"the job was asked for {fmt} subtitles, but there is no {self.uri(key)}")
        self.reached("subtitles", ", ".join(formats))

    def words(self, text: str) -> None:
        heard = set(re.findall(r"[\w']+", text.lower()))
        missing = [word for word in WORDS if word not in heard]
        if not missing:
            self.reached("words", f"all {len(WORDS)} words of the clip recognised ({SPOKEN!r})")
            return
        shown = " ".join(text.split())
        self.reached(
            "words",
            f"{len(WORDS) - len(missing)} of {len(WORDS)} words of the clip recognised; it says {SPOKEN!r}, the transcript"
            f" reads {shown[:80]!r}{'...' if len(shown) > 80 else ''} (an emulator writes a canned text: not a failure)",
        )

    def wait_for(self, key: str) -> bytes | None:
        """The object's content once it is in the transcripts bucket; None after OUTPUT_TIMEOUT."""
        intervals, waited = jobs.POLL.intervals(), 0.0
        while (body := self.read(key)) is None and waited < OUTPUT_TIMEOUT:
            interval = next(intervals)
            jobs.pause(interval)
            waited += interval
        return body

    def read(self, key: str) -> bytes | None:
        try:
            return self.clients.s3.get_object(Bucket=self.target.output_bucket, Key=key)["Body"].read()
        except ClientError as error:
            if is_missing(error):
                return None
            raise

    def formats_present(self) -> list[str]:
        return sorted({key.rsplit(".", 1)[-1] for key in self.outputs()} & set(naming.SUBTITLE_FORMATS))

    def outputs(self) -> list[str]:
        """Every key in the transcripts bucket written for this run: under its folder, beside the
        transcripts and beside the unredacted ones (with redactPii redacted_and_unredacted)."""
        folder = naming.transcript_base(self.target.output_prefix, self.key).rsplit("/", 1)[0] + "/"
        pages = self.clients.s3.get_paginator("list_objects_v2")
        return [
            item["Key"]
            for prefix in (folder, naming.UNREDACTED_PREFIX + folder)
            for page in pages.paginate(Bucket=self.target.output_bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]

    def uri(self, key: str) -> str:
        return f"s3://{self.target.output_bucket}/{key}"

    def clean_up(self) -> str | None:
        """Remove the clip, its outputs and its job record; what could not be removed, if anything."""
        s3, removed = self.clients.s3, []
        try:
            if self.uploaded:
                s3.delete_object(Bucket=self.target.input_bucket, Key=self.key)
                removed.append("the clip")
            outputs = self.outputs()
            for key in outputs:
                s3.delete_object(Bucket=self.target.output_bucket, Key=key)
            removed.append(count(len(outputs), "output file"))
            if self.job_name and jobs.delete_job(self.clients.transcribe, self.job_name):
                removed.append("the job record")
            # The ledger's items of the clip become the tombstone any erased object leaves (its
            # keys are digests): a late report of the upload then starts nothing.
            if self.uploaded and (table := self.target.outputs.get("ledgerTableName")):
                erased = Ledger(self.clients.dynamodb, table).erase(self.target.input_bucket, self.key)
                removed.append(f"{count(erased, 'ledger item')} (erased)")
        except Exception as error:
            if not is_aws_error(error):
                raise
            self.reached("cleaned up", f"removed {', '.join(removed) or 'nothing'}")
            return f"{describe_aws_error(error)}; remove what is left under s3://{self.target.input_bucket}/{self.key.rsplit('/', 1)[0]}/"
        self.reached("cleaned up", f"removed {', '.join(removed)}")
        return None


def run_id() -> str:
    """A folder of its own for each run, in time order."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run(args) -> int:
    target = stack.target_of(args, NEEDED)
    key = f"{target.key_prefix}{FOLDER}{run_id()}/{CLIP}"
    if problem := naming.folder_problem(key):
        raise BadInput(f"the selftest's key {key!r} (the stack's keyPrefix, then {FOLDER}) {problem}")
    test = Selftest(Clients(target.region), target, key)
    print(f"selftest of {target.label}: a 3-second speech clip through the pipeline and back")
    try:
        test.round_trip()
    except BaseException:
        if left := test.clean_up():
            note(f"selftest: cleaning up failed too: {left}")
        raise
    if left := test.clean_up():
        raise StageFailed("cleaned up", left)
    print(f"selftest passed: {target.label} works end to end ({time.monotonic() - test.started:.1f} s); everything it made is removed")
    return 0


SELFTEST_HELP = (
    "Prove a deployed stack works end to end, the step after `pulumi up`: upload a 3-second speech clip shipped"
    f" with mediactl under <keyPrefix>{FOLDER}, follow it through the upload queue to its Transcribe job, wait for"
    " the JSON transcript, the .txt and the stack's subtitles, and print when each stage was reached and whether"
    " the clip's words were recognised. Then remove everything it made: the clip, its transcript files, the job"
    " record. Exit code 0 when the round trip completed, 1 with the stage that failed and why."
)


def add_parser(commands) -> None:
    command = commands.add_parser(
        "selftest", help="prove a deployed stack end to end with a speech clip, then remove all it made", description=SELFTEST_HELP
    )
    stack.add_stack_options(command)
    command.set_defaults(run=run)
