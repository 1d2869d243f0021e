"""`upload`: check media files, upload them, and with --wait follow each to its transcript."""

import argparse
import shlex
from pathlib import Path

from rich.text import Text

from mediactl import checks, stack, uploads
from mediactl.aws import Clients
from mediactl.errors import EXIT_FAILURE, BadInput, Interrupted
from mediactl.follow import follow_upload
from mediactl.stack import Target
from mediactl.terminal import PROGRAM, err, note, out, report_error
from transcribe_pipeline.function import naming

UPLOAD_HELP = """\
Check every file first (it exists, is not empty, is mp3, mp4, wav, flac, ogg, amr, webm or m4a in
any case, and is under 2 GB), then upload them with a progress bar each and tell where each
transcript will appear.

The S3 key of a file is <key prefix><--prefix><file name>, with the extension in lower case
(Talk.Mp3 -> Talk.mp3) so that the bucket notification sees it. The key prefix is the stack's
keyPrefix output ("" with --bucket). The transcript of key K lands in the output bucket at
<output prefix>K.json (output prefix "transcripts/" by default), e.g. transcripts/Talk.mp3.json.

examples:
  mediactl upload talk.mp3 --stack dev
  mediactl upload a.wav b.MP4 --stack dev --prefix team/ --wait --out transcripts/
"""


UPLOAD_INSTEAD = "or name the media bucket with --bucket NAME"


def run(args) -> int:
    prefix = uploads.checked_prefix(args.prefix)
    if prefix != args.prefix:
        note(f"--prefix {args.prefix!r} becomes {prefix!r}: a prefix is a folder, so the file names go under it")
    target = upload_target(args)
    files = uploads.checked_files(args.paths, target.key_prefix, prefix)
    clients = Clients(target.region)
    uploads.check_bucket(clients.s3, target.input_bucket)
    done = uploads.upload_files(clients.s3, files, target.input_bucket, err)
    for uploaded in done:
        print(f"uploaded {uploaded.media.path} -> {uploaded.uri}")
        print(f"  transcript: {transcript_location(target, uploaded.media.key)}")
    if not args.wait:
        return 0
    try:
        return follow_uploads(clients, target, done, checks.out_dir("--out", args.out or "."))
    except KeyboardInterrupt:
        raise Interrupted(f"stopped following; the uploads are in S3 and their jobs go on{fetch_later(target, done)}") from None


def fetch_later(target: Target, done: list) -> str:
    """How to fetch the transcripts later, as commands that run as printed; nothing when the
    transcripts bucket is unknown (--bucket without --output-bucket)."""
    if target.selection:
        commands = [target.command("fetch", uploaded.media.key) for uploaded in done]
    elif target.output_bucket:
        commands = [f"`{shlex.join([PROGRAM, 'fetch', uploaded.media.key, '--bucket', target.output_bucket])}`" for uploaded in done]
    else:
        return ""
    return f": fetch later with {', '.join(commands)}"


# The flags that serve --wait alone, and what for.
WAIT_FLAGS = {
    "out": ("--out", "it says where --wait saves the transcripts"),
    "output_bucket": ("--output-bucket", "the transcripts bucket, where --wait reads the error notes"),
    "job_prefix": ("--job-prefix", "the start of the job names --wait looks among"),
}


def upload_target(args) -> Target:
    """Where the files go, every flag checked first: a flag that does nothing in the mode chosen is
    refused, as are bucket names S3 would refuse and an --out that is a file."""
    for name in ("output_bucket", "job_prefix"):
        if getattr(args, name) is not None and not args.bucket:
            raise checks.does_nothing(
                WAIT_FLAGS[name][0], "the stack's outputs name the bucket and the job-name prefix", given="--stack" if args.stack else "--outputs"
            )
    for name, (flag, why) in WAIT_FLAGS.items():
        if getattr(args, name) is not None and not args.wait:
            raise checks.does_nothing(flag, why, without="--wait")
    if args.out is not None:
        checks.out_dir("--out", args.out)
    if args.bucket:
        if args.job_prefix is not None and not naming.is_valid_job_name_prefix(args.job_prefix):
            raise BadInput(f"--job-prefix {args.job_prefix!r} is not the start of a Transcribe job name")
        return Target(
            input_bucket=checks.bucket_name("--bucket", args.bucket),
            output_bucket=checks.bucket_name("--output-bucket", args.output_bucket),
            job_name_prefix=args.job_prefix or "",
        )
    needed = ("inputBucket", "outputBucket", "keyPrefix", "outputPrefix")
    return stack.target_of(args, needed + (("jobNamePrefix",) if args.wait else ()), UPLOAD_INSTEAD)


def transcript_location(target: Target, media_key: str) -> str:
    key = naming.transcript_key(target.output_prefix, media_key)
    return f"s3://{target.output_bucket}/{key}" if target.output_bucket else f"{key} in the output bucket"


def follow_uploads(clients, target: Target, done: list, out_dir: Path) -> int:
    failures = 0
    for uploaded in done:
        key = uploaded.media.key
        with err.status(Text(f"{key}: looking for its transcription job")) as spinner:
            outcome = follow_upload(
                clients, target, uploaded, out_dir, lambda status: spinner.update(Text(f"{key}: {status}")), note
            )
        if outcome.failure:
            failures += 1
            report_error(f"transcription of {key} failed: {outcome.failure}")
            continue
        print(f"{key}: COMPLETED (job {outcome.job_name})")
        for path in outcome.files:
            print(f"  saved {path}")
        out.rule(key)
        print(outcome.text)
    return EXIT_FAILURE if failures else 0


def add_parser(commands) -> None:
    upload = commands.add_parser(
        "upload",
        help="check and upload media files, optionally wait for their transcripts",
        description=UPLOAD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upload.add_argument("paths", nargs="+", metavar="PATH", help="media files to upload")
    where = stack.add_stack_options(upload)
    where.add_argument("--bucket", metavar="NAME", help="upload to this bucket (key prefix '', output prefix 'transcripts/')")
    upload.add_argument("--prefix", default="", metavar="P", help="put between the key prefix and the file name, e.g. 'team/'")
    upload.add_argument("--wait", action="store_true", help="follow each transcription job to its end and download the transcript")
    upload.add_argument("--out", metavar="DIR", help="where --wait saves the transcript files (default: .)")
    upload.add_argument("--output-bucket", metavar="NAME", help="with --bucket --wait: the transcripts bucket, to read the error notes")
    upload.add_argument("--job-prefix", metavar="P", help="with --bucket --wait: the start of the job names to look among (default: all jobs)")
    upload.set_defaults(run=run)
