"""`redrive`: give what the stack's dead-letter and failure queues keep another try, once the
cause is fixed (the dead-letter queue by `dead_letters`, the failure queue by `redrive`)."""

import argparse
from pathlib import Path

from mediactl import checks, dead_letters, queues, redrive, stack
from mediactl.aws import Clients
from mediactl.errors import EXIT_FAILURE, Interrupted, ToolError
from mediactl.stack import Target
from mediactl.terminal import confirmed, count, err, note, report_error


# The directory the hint proposes for --export.
EXPORT_DIR = "unreadable-messages"


def run(args) -> int:
    if args.delete_unreadable and not args.export:
        raise checks.does_nothing("--delete-unreadable", "it deletes the unreadable messages --export saved", without="--export DIR")
    if args.yes and not args.delete_unreadable:
        raise checks.does_nothing("--yes", "it deletes the unreadable messages without asking", without="--delete-unreadable")
    if args.export:
        checks.out_dir("--export", args.export)
    target = stack.target_of(args, ("failureQueueUrl",))
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
        note(f"save them with {target.command('redrive', '--export', EXPORT_DIR)}; add --delete-unreadable to delete them once saved")
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


def add_parser(commands) -> None:
    redrive_command = commands.add_parser(
        "redrive",
        help="move dead-lettered uploads back to the upload queue, redrive the failure queue",
        description=REDRIVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stack.add_stack_options(redrive_command)
    redrive_command.add_argument("--export", metavar="DIR", help="save each unreadable failure-queue message as DIR/<message id>.json")
    redrive_command.add_argument(
        "--delete-unreadable", action="store_true", help="with --export: delete the unreadable messages once saved (asks first)"
    )
    redrive_command.add_argument("--yes", action="store_true", help="with --delete-unreadable: delete without asking")
    redrive_command.set_defaults(run=run)
