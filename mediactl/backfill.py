"""`backfill`: transcribe what is already in the media bucket. Every media object under the stack's
key prefix (and --prefix) that the ledger does not know is recorded and sent to the upload queue,
where it starts at the stack's pace like any upload; one whose transcript or error note is already
there is recorded as done. Recording is conditional, so a second run, or one after an interrupted
run, sends only what is still unknown. `--force KEY...` transcribes those objects again, each with a
job of its own.
"""

import shlex

from rich.progress import Progress, SpinnerColumn, TextColumn

from mediactl import checks, listing, stack, uploads
from mediactl.aws import Clients
from mediactl.errors import EXIT_FAILURE, BadInput
from mediactl.terminal import count, err, note, report_error
from transcribe_pipeline.function import ledger as ledger_module
from transcribe_pipeline.function import naming, unrecorded

NEEDED = ("inputBucket", "outputBucket", "ledgerTableName", "keyPrefix", "outputPrefix", "uploadQueueUrl", "jobNamePrefix")
SHOWN = 10


def run(args) -> int:
    if args.force and args.prefix:
        raise checks.does_nothing("--prefix", "--force names the objects itself", given="--force")
    target = stack.target_of(args, NEEDED)
    clients = Clients(target.region)
    ledger = ledger_module.Ledger(clients.dynamodb, target.outputs["ledgerTableName"])
    place = unrecorded.Place(target.input_bucket, target.output_bucket, target.output_prefix, target.job_name_prefix,
                             target.upload_queue_url)  # fmt: skip
    if args.force:
        return force(clients, target, ledger, place, args.force, args.dry_run)
    prefix = target.key_prefix + uploads.checked_prefix(args.prefix or "")
    found = backfill(clients, place, ledger, prefix, args.dry_run)
    follow = f"`mediactl status {shlex.join(target.selection)}` follows the upload backlog"
    if args.dry_run:
        print(f"dry run: {count(found.known, 'media object')} already in the ledger, {found.adopted} transcribed before the ledger"
              f" (would be recorded), {found.sent} would be sent to the upload queue")  # fmt: skip
        for key in found.sent_keys[:SHOWN]:
            print(f"  {key}")
        if found.sent > SHOWN:
            print(f"  ... and {found.sent - SHOWN} more")
        return 0
    print(f"{count(found.known, 'media object')} already in the ledger, {found.adopted} transcribed before the ledger (recorded),"
          f" {found.sent} sent to the upload queue: they start at the stack's pace; {follow}")  # fmt: skip
    return 0


def backfill(clients, place: unrecorded.Place, ledger, prefix: str, dry_run: bool) -> unrecorded.Found:
    outputs: dict = {}
    total = unrecorded.Found()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True) as progress:
        task = progress.add_task("listing the transcripts", total=None)

        def keep_output(page):
            outputs.update((o["Key"], o["LastModified"]) for o in page)

        listing.list_objects(clients.s3, place.output_bucket, place.output_prefix + prefix, keep_output)

        def settle(page):
            media = [o for o in page if not o["Key"].endswith("/") and naming.media_format(o["Key"])]
            sender = None if dry_run else unrecorded.Sender(clients.sqs, place.upload_queue_url, ledger, "backfill")
            found = unrecorded.settle(media, place, ledger, clients.s3, sender, "backfill", outputs=outputs)
            total.known, total.adopted, total.sent = total.known + found.known, total.adopted + found.adopted, total.sent + found.sent
            total.sent_keys += found.sent_keys[: SHOWN - len(total.sent_keys)] if len(total.sent_keys) < SHOWN else []
            progress.update(task, description=f"media objects: {total.known + total.adopted + total.sent:,} looked at, {total.sent:,} sent")

        listing.list_objects(clients.s3, place.media_bucket, prefix, settle)
    return total


def force(clients, target, ledger, place: unrecorded.Place, keys: list[str], dry_run: bool) -> int:
    """A new transcription of each key as it is now, with a job name of its own."""
    for key in keys:
        if not key.startswith(target.key_prefix) or naming.media_format(key) is None:
            raise BadInput(f"--force {key!r} is not a media key of the stack (under {target.key_prefix!r}, with a media extension)")
    failed = 0
    sender = unrecorded.Sender(clients.sqs, place.upload_queue_url, ledger, "force")
    for key in keys:
        head = unrecorded.head(clients.s3, place.media_bucket, key)
        if head is None:
            report_error(f"{key}: no such object in s3://{place.media_bucket}")
            failed += 1
            continue
        if dry_run:
            print(f"{key}: would be transcribed again")
            continue
        entry = ledger.force(place.media_bucket, key, head["ETag"], head["ContentLength"], place.job_name_prefix)
        if entry is None:
            report_error(f"{key}: its job is still running: force it again once it has ended")
            failed += 1
            continue
        sender.add(entry, head["LastModified"].timestamp())
        print(f"{key}: sent for a new transcription (job {entry.job_name})")
    sender.flush()
    if failed:
        note(f"{count(failed, 'object')} not sent")
    return EXIT_FAILURE if failed else 0


def add_parser(commands) -> None:
    command = commands.add_parser(
        "backfill",
        help="transcribe the media already in the bucket (what the ledger does not know), at the stack's pace",
        description="Send every media object under the stack's key prefix that the ledger does not know to the upload"
        " queue (objects whose transcript or error note is already there are recorded as done). Safe to run twice and"
        " to run again after an interruption: only what is still unknown is sent. --force KEY... transcribes those"
        " objects again, each with a new job.",
    )
    stack.add_stack_options(command)
    command.add_argument("--prefix", metavar="P", help="a key prefix under the stack's keyPrefix: only the media there, e.g. 'archive/2019/'")
    command.add_argument("--dry-run", action="store_true", help="say what would be sent, send nothing")
    command.add_argument("--force", nargs="+", metavar="KEY", help="transcribe these media keys again, even if they have a transcript")
    command.set_defaults(run=run)
