"""The command line: `python -m mediactl upload|jobs|fetch|clean|redrive ...`.

Results go to stdout; progress bars, spinners and notes to stderr; an error is one line on stderr
and an exit code: 1 when AWS or a job failed, 2 for bad input, 130 after Ctrl-C.
"""

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.prompt import Confirm
from rich.table import Table
from rich.text import Text

from function import naming
from mediactl import dead_letters, jobs, queues, redrive, stack, status, transcripts, uploads
from mediactl.aws import Clients, describe_aws_error, is_aws_error
from mediactl.errors import EXIT_FAILURE, EXIT_INTERRUPTED, BadInput, Interrupted, ToolError
from mediactl.follow import follow_upload
from mediactl.stack import Target

PROGRAM = "python -m mediactl"
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args) or 0
    except ToolError as error:
        report_error(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        report_error("interrupted")
        return EXIT_INTERRUPTED
    except OSError as error:
        report_error(str(error))
        return EXIT_FAILURE
    except Exception as error:
        if not is_aws_error(error):
            raise
        report_error(describe_aws_error(error))
        return EXIT_FAILURE


def report_error(message: str) -> None:
    for line in message.splitlines():
        print(f"mediactl: error: {line}", file=sys.stderr)


def note(message: str) -> None:
    err.print(message, markup=False, soft_wrap=True)


UPLOAD_HELP = """\
Check every file first (it exists, is not empty, is mp3, mp4, wav, flac, ogg, amr, webm or m4a in
any case, and is under 2 GB), then upload them with a progress bar each and tell where each
transcript will appear.

The S3 key of a file is <key prefix><--prefix><file name>, with the extension in lower case
(Talk.Mp3 -> Talk.mp3) so that the bucket notification sees it. The key prefix is the stack's
keyPrefix output ("" with --bucket). The transcript of key K lands in the output bucket at
<output prefix>K.json (output prefix "transcripts/" by default), e.g. transcripts/Talk.mp3.json.

examples:
  python -m mediactl upload talk.mp3 --stack dev
  python -m mediactl upload a.wav b.MP4 --stack dev --prefix team/ --wait --out transcripts/
"""


UPLOAD_INSTEAD = "name the bucket with --bucket"


def run_upload(args) -> int:
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
        return follow_uploads(clients, target, done, Path(args.out or "."))
    except KeyboardInterrupt:
        keys = " ".join(uploaded.media.key for uploaded in done)
        raise Interrupted(
            f"stopped following; the uploads are in S3 and their jobs go on: fetch later with {fetch_command(target)} ({keys})"
        ) from None


def fetch_command(target: Target) -> str:
    if target.stack:
        return target.command("fetch KEY")
    return f"`{PROGRAM} fetch KEY --bucket {target.output_bucket or 'OUTPUT_BUCKET'}`"


def upload_target(args) -> Target:
    if args.out is not None and not args.wait:
        raise BadInput("--out says where --wait saves the transcripts: add --wait, or use `fetch` later")
    if args.stack and (args.output_bucket or args.job_prefix):
        raise BadInput("--output-bucket and --job-prefix go with --bucket; --stack knows both")
    if args.stack:
        needed = ("inputBucket", "outputBucket", "keyPrefix", "outputPrefix")
        return stack.stack_target(args.stack, needed + (("jobNamePrefix",) if args.wait else ()), UPLOAD_INSTEAD)
    return Target(input_bucket=args.bucket, output_bucket=args.output_bucket, job_name_prefix=args.job_prefix)


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


def run_jobs(args) -> int:
    prefix, region = job_prefix_and_region(args)
    clients = Clients(region)
    summaries = jobs.list_jobs(clients.transcribe, prefix)
    if not summaries:
        print(f"no transcription jobs whose names start with {prefix!r}")
        return 0
    shown = jobs.describe_jobs(clients.transcribe, summaries[: args.limit])
    out.print(jobs_table(shown, prefix))
    if len(summaries) > len(shown):
        note(f"the newest {len(shown)} of {count(len(summaries), 'job')}; --limit shows more")
    return 0


def job_prefix_and_region(args) -> tuple[str, str | None]:
    if not args.stack:
        if not naming.is_valid_job_name_prefix(args.prefix):
            raise BadInput(f"--prefix {args.prefix!r} is not the start of a Transcribe job name")
        return args.prefix, None
    outputs = stack.stack_outputs(args.stack, instead="select the jobs with --prefix")
    prefix = stack.job_name_prefix_of(args.stack, outputs)
    if "jobNamePrefix" not in outputs:
        note(f"stack {args.stack!r} has no jobNamePrefix output (destroyed?): using {prefix!r}, from the project and stack names")
    return prefix, outputs.get("region")


STATUS_STYLES = {"COMPLETED": "green", "FAILED": "red", "IN_PROGRESS": "yellow", "QUEUED": "cyan"}


def jobs_table(described: list[dict], prefix: str) -> Table:
    table = Table(title=f"Transcription jobs {prefix}*")
    for column in ("Name", "Status", "Media", "Created", "Duration"):
        table.add_column(column, overflow="fold")
    for job in described:
        status = job.get("TranscriptionJobStatus", "")
        shown = f"{status}: {job['FailureReason']}" if status == "FAILED" and job.get("FailureReason") else status
        # Text, not markup: names and reasons may hold brackets.
        table.add_row(
            Text(job["TranscriptionJobName"]),
            Text(shown, style=STATUS_STYLES.get(status, "")),
            Text(job.get("Media", {}).get("MediaFileUri", "")),
            local_time(job["CreationTime"]),
            readable_duration(jobs.job_duration(job)),
        )
    return table


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def readable_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "-"
    minutes, seconds = divmod(int(duration.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def run_fetch(args) -> int:
    if args.stack:
        target = stack.stack_target(args.stack, ("outputBucket", "outputPrefix"), "name the transcripts bucket with --bucket")
    else:
        target = Target(output_bucket=args.bucket)
    clients = Clients(target.region)
    if args.unredacted:
        if args.format != "json":
            raise BadInput("--unredacted fetches the unredacted JSON transcript: leave out --format, or --unredacted")
        path, source = transcripts.fetch_unredacted(clients.s3, target, args.media_key, Path(args.out))
    else:
        path, source = transcripts.fetch(clients.s3, target, args.media_key, args.format, Path(args.out))
    print(f"saved {path} (from {source})")
    return 0


def run_clean(args) -> int:
    prefix, region = job_prefix_and_region(args)
    clients = Clients(region)
    found = jobs.list_jobs(clients.transcribe, prefix)
    ended = [job["TranscriptionJobName"] for job in found if job.get("TranscriptionJobStatus") in jobs.DONE]
    running = len(found) - len(ended)
    if running:
        note(f"{count(running, 'job')} still queued or running {'is' if running == 1 else 'are'} left alone: clean again once they end")
    if not ended:
        print(f"no ended transcription jobs whose names start with {prefix!r}: nothing to delete")
        return 0
    if not args.yes and not confirmed(f"Delete {count(len(ended), 'transcription job')} whose names start with {prefix!r}?"):
        print("nothing deleted")
        return EXIT_FAILURE
    deleted = 0
    with Progress(console=err) as progress:
        for name in progress.track(ended, description="deleting jobs"):
            deleted += jobs.delete_job(clients.transcribe, name)
    print(f"deleted {count(deleted, 'transcription job')} (their transcripts stay in the output bucket)")
    return 0


def count(number: int, noun: str) -> str:
    """`1 job`, `2 jobs`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def confirmed(question: str) -> bool:
    try:
        return Confirm.ask(question, console=err, default=False)
    except EOFError:
        note("no answer (use --yes to delete without asking)")
        return False


def run_redrive(args) -> int:
    if args.delete_unreadable and not args.export:
        raise BadInput("--delete-unreadable deletes the unreadable messages once --export has saved them: add --export DIR")
    target = stack.stack_target(args.stack, ("failureQueueUrl",))
    clients = Clients(target.region)
    kept = redrive_dead_letters(clients.sqs, target) + redrive_failure_queue(clients, target, args)
    return EXIT_FAILURE if kept else 0


def redrive_dead_letters(sqs, target: Target) -> int:
    """Say why the upload dead-letter queue's messages are there, move them back to the upload
    queue; the number of messages left behind."""
    if not (target.dead_letter_queue_url and target.upload_queue_url):
        return 0
    dead = queues.queue(sqs, target.dead_letter_queue_url)
    if not dead.backlog:
        print("dead-letter queue: empty")
        return 0
    peeked = dead_letters.peek(sqs, dead)
    shown = "" if peeked.looked_at >= dead.backlog else f" (the reasons of the first {peeked.looked_at})"
    print(f"dead-letter queue: {count(dead.backlog, 'message')}{shown}; dead-lettered because:")
    for reason, uploads in peeked.reasons.items():
        examples = ", ".join(uploads[:3]) + (", ..." if len(uploads) > 3 else "")
        print(f"  {len(uploads)} × {reason} ({examples})")
    upload_queue = queues.queue(sqs, target.upload_queue_url)
    try:
        with err.status("moving the dead-letter queue's messages to the upload queue") as spinner:
            moved = dead_letters.move_back(
                sqs, dead, upload_queue, lambda done, total: spinner.update(f"moving: {done} of {total}")
            )
    except KeyboardInterrupt:
        raise Interrupted(
            "stopped following the move; an SQS move task goes on by itself"
            f" (`aws sqs list-message-move-tasks --source-arn {dead.arn}`)"
        ) from None
    except ToolError as error:
        report_error(str(error))
        return 1
    print(f"dead-letter queue: moved {moved.moved} of {count(moved.to_move, 'message')} to the upload queue ({moved.how})")
    return max(moved.to_move - moved.moved, 0)


def redrive_failure_queue(clients, target: Target, args) -> int:
    """Redrive the failure queue; the number of messages kept."""
    destinations = redrive.Destinations(target.function_name, target.completion_function_name, target.upload_queue_url)
    with err.status("redriving the failure queue") as spinner:
        report = redrive.redrive(
            clients.sqs,
            clients.lambda_,
            target.failure_queue_url,
            destinations,
            lambda so_far: spinner.update(f"redriving: {so_far.redriven} done, {so_far.kept} kept"),
        )
    for failure in report.failed:
        report_error(f"kept: {failure}")
    unreadable = [item.message for item in report.unreadable]
    try:
        for item in report.unreadable:
            report_error(f"unreadable: message {item.message_id}: {item.why}: {item.first_bytes()}")
        fate = settle_unreadable(clients.sqs, target, report.unreadable, args)
        if fate.endswith("deleted"):
            unreadable = []
    finally:
        redrive.release(clients.sqs, target.failure_queue_url, unreadable)
    requeued = f" ({report.requeued} sent to the upload queue)" if report.requeued else ""
    print(
        f"failure queue: redriven: {report.redriven}{requeued}, failed again: {len(report.failed)} (kept),"
        f" unreadable: {len(report.unreadable)} ({fate})"
    )
    return len(report.failed) + len(unreadable)


def settle_unreadable(sqs, target: Target, unreadable: list, args) -> str:
    """Export the unreadable messages, delete them if asked; what became of them."""
    if not unreadable:
        return "kept"
    if not args.export:
        note(f"save them with {target.command('redrive --export DIR')}; add --delete-unreadable to delete them once saved")
        return "kept"
    saved = redrive.export(unreadable, Path(args.export))
    note(f"saved {count(len(saved), 'unreadable message')} in {args.export}")
    if not args.delete_unreadable:
        return f"kept, saved in {args.export}"
    question = f"Delete {count(len(unreadable), 'unreadable message')} from the failure queue (saved in {args.export})?"
    if not args.yes and not confirmed(question):
        return f"kept, saved in {args.export}"
    redrive.delete(sqs, target.failure_queue_url, [item.message for item in unreadable])
    return f"saved in {args.export}, deleted"


REDRIVE_HELP = """\
Give everything kept in the stack's failure and dead-letter queues another try, once its cause
is fixed.

1. The upload dead-letter queue (S3 notifications the upload function gave up on): tells why
   they were dead-lettered (the ERROR_CODE and ERROR_MESSAGE the function set), then moves them
   all back to the upload queue with an SQS message move task and follows it to its end. An
   endpoint without move tasks gets each message sent to the upload queue, then deleted.
2. The failure queue: the completion function's failed events are invoked again (synchronously);
   events EventBridge could not deliver go to their target; failed events of the upload function
   from before the upload queue (S3 notifications) are sent to the upload queue. A message is
   deleted only once that succeeded.

Messages that fail again stay in the queue, with one line each. Failure-queue messages of none of
these kinds are "unreadable": each is listed (message id, why, first bytes) and kept; --export
saves them, --delete-unreadable then deletes them. Exit code 1 while any message stays.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Upload media to the transcription pipeline, follow its jobs, fetch the transcripts.",
        epilog="The AWS environment applies as usual (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL); with --stack,"
        " the stack's region. Exit codes: 0 done, 1 AWS or a job failed, 2 bad input, 130 interrupted.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    upload = commands.add_parser(
        "upload",
        help="check and upload media files, optionally wait for their transcripts",
        description=UPLOAD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upload.add_argument("paths", nargs="+", metavar="PATH", help="media files to upload")
    where = upload.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", metavar="NAME", help="upload to this Pulumi stack's input bucket")
    where.add_argument("--bucket", metavar="NAME", help="upload to this bucket (key prefix '', output prefix 'transcripts/')")
    upload.add_argument("--prefix", default="", metavar="P", help="put between the key prefix and the file name, e.g. 'team/'")
    upload.add_argument("--wait", action="store_true", help="follow each transcription job to its end and download the transcript")
    upload.add_argument("--out", metavar="DIR", help="where --wait saves the transcript files (default: .)")
    upload.add_argument("--output-bucket", metavar="NAME", help="with --bucket: the transcripts bucket, to tell where they land and see error notes")
    upload.add_argument("--job-prefix", default="", metavar="P", help="with --bucket --wait: the job-name prefix to look among (default: all jobs)")
    upload.set_defaults(run=run_upload)

    jobs_command = commands.add_parser(
        "jobs",
        help="list a stack's transcription jobs, newest first",
        description="A table of the transcription jobs whose names start with the stack's job-name prefix: name,"
        " status (with the reason of a failure), media, creation time, and how long the job ran.",
    )
    add_job_selection(jobs_command)
    jobs_command.add_argument("--limit", type=positive, default=50, metavar="N", help="show the newest N jobs (default: 50)")
    jobs_command.set_defaults(run=run_jobs)

    fetch = commands.add_parser(
        "fetch",
        help="download the transcript of a media key",
        description="Download the transcript of MEDIA_KEY (the key of the media in the input bucket, e.g. team/talk.mp3)"
        " from <output prefix><MEDIA_KEY>.<format> in the output bucket. txt is made from the JSON transcript"
        " when the bucket has none. When no transcript could be made, tells why (from the .error.json note).",
    )
    fetch.add_argument("media_key", metavar="MEDIA_KEY", help="S3 key of the uploaded media, e.g. talk.mp3")
    where = fetch.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", metavar="NAME", help="fetch from this Pulumi stack's output bucket")
    where.add_argument("--bucket", metavar="NAME", help="fetch from this transcripts bucket (output prefix 'transcripts/')")
    fetch.add_argument("--format", choices=transcripts.FORMATS, default="json", help="which file (default: json)")
    fetch.add_argument("--out", default=".", metavar="DIR", help="where to save it (default: .)")
    fetch.add_argument(
        "--unredacted", action="store_true",
        help="the unredacted JSON transcript, kept with redactPii 'redacted_and_unredacted' (if you may read it)",
    )
    fetch.set_defaults(run=run_fetch)

    clean = commands.add_parser(
        "clean",
        help="delete a stack's ended transcription jobs",
        description="Delete the COMPLETED and FAILED transcription jobs of a stack. Transcribe keeps job records"
        " for 90 days and `pulumi destroy` does not remove them; the transcripts in the bucket stay. Queued and"
        " running jobs are left alone. After `pulumi destroy` the prefix comes from the project and stack names.",
    )
    add_job_selection(clean)
    clean.add_argument("--yes", action="store_true", help="delete without asking")
    clean.set_defaults(run=run_clean)

    redrive_command = commands.add_parser(
        "redrive",
        help="move dead-lettered uploads back to the upload queue, redrive the failure queue",
        description=REDRIVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    redrive_command.add_argument("--stack", required=True, metavar="NAME", help="the Pulumi stack")
    redrive_command.add_argument("--export", metavar="DIR", help="save each unreadable failure-queue message as DIR/<message id>.json")
    redrive_command.add_argument(
        "--delete-unreadable", action="store_true", help="with --export: delete the unreadable messages once saved (asks first)"
    )
    redrive_command.add_argument("--yes", action="store_true", help="with --delete-unreadable: delete without asking")
    redrive_command.set_defaults(run=run_redrive)
    status.add_parser(commands)
    return parser


def add_job_selection(command: argparse.ArgumentParser) -> None:
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", metavar="NAME", help="the jobs of this Pulumi stack")
    which.add_argument("--prefix", metavar="P", help="the jobs whose names start with this job-name prefix")


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return value
