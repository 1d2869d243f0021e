"""`redrive`, the upload dead-letter queue: say why its messages were dead-lettered, then move them
back to the upload queue with SQS's own message move task.

The messages are S3 notifications. The upload function dead-letters one itself with the reason in
the message attributes `ERROR_CODE` and `ERROR_MESSAGE`; SQS moves one there without a reason once
it was received too often. An endpoint without move tasks (an emulator) gets a hand-made move
instead: each message is sent to the upload queue and deleted from the dead-letter queue only after
that send succeeded, so a failure halfway can duplicate a message but never lose one (the upload
function counts a second start of the same upload as done).
"""

from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from mediactl import jobs
from mediactl.aws import error_code
from mediactl.errors import ToolError
from mediactl.queues import SQS_BATCH, Queue, make_visible, s3_records, uploads_of

# How many messages are looked at to tell why they were dead-lettered, and for how long they are
# hidden meanwhile (they are made visible again at once afterwards).
PEEK_MESSAGES = 100
PEEK_VISIBILITY = 60
# Answers of an endpoint that has no message move tasks: SQS's own codes for an operation it does
# not take (UnsupportedOperation; InvalidAction, "the action or operation requested is invalid",
# in the API Reference's Common Errors), those of the JSON protocol and of emulators for an
# operation they do not know, and any 5xx (see `unsupported`).
UNSUPPORTED_CODES = {
    "UnsupportedOperation", "InvalidAction", "UnknownOperation", "UnknownOperationException",
    "NotImplemented", "NotImplementedException", "501",
}  # fmt: skip
TASK_ENDED = ("COMPLETED", "CANCELLED", "FAILED")
TASK_POLL = jobs.Backoff(first=1.0, factor=1.5, most=10.0)


@dataclass
class Peek:
    """Why the first messages of a dead-letter queue are there: reason -> what each message held."""

    reasons: dict[str, list[str]] = field(default_factory=dict)
    looked_at: int = 0


@dataclass(frozen=True)
class Moved:
    moved: int
    to_move: int
    how: str


def why_dead_lettered(message: dict) -> tuple[str, str]:
    """(the uploads the message names, why it was dead-lettered)."""
    attributes = message.get("MessageAttributes", {})
    code = attributes.get("ERROR_CODE", {}).get("StringValue")
    text = attributes.get("ERROR_MESSAGE", {}).get("StringValue")
    records = s3_records(message.get("Body", ""))
    if records:
        what = ", ".join(f"{bucket}/{key}" for bucket, key, _ in uploads_of(records))
    else:
        what = f"message {message.get('MessageId', '?')}, not an S3 notification"
    if code or text:
        return what, ": ".join(part for part in (code, text) if part)
    return what, "received too often without success (no reason recorded: see the upload function's log)"


def look_at(sqs, queue_url: str, limit: int = PEEK_MESSAGES) -> list[dict]:
    """Up to `limit` messages of the queue, made visible again at once for whoever needs them."""
    found: list[dict] = []
    try:
        while len(found) < limit:
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(SQS_BATCH, limit - len(found)),
                VisibilityTimeout=PEEK_VISIBILITY,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            found += messages
    finally:
        make_visible(sqs, queue_url, [message["ReceiptHandle"] for message in found])
    return found


def peek(sqs, dead_letters: Queue, limit: int = PEEK_MESSAGES) -> Peek:
    found = Peek()
    for message in look_at(sqs, dead_letters.url, limit):
        what, reason = why_dead_lettered(message)
        found.reasons.setdefault(reason, []).append(what)
        found.looked_at += 1
    return found


def move_back(sqs, dead_letters: Queue, upload_queue: Queue, on_progress) -> Moved:
    """Move every message of the dead-letter queue to the upload queue; SQS's task if it can."""
    try:
        task = running_task(sqs, dead_letters) or start_task(sqs, dead_letters, upload_queue)
    except ClientError as error:
        if not unsupported(error):
            raise
        return move_by_hand(sqs, dead_letters, upload_queue, on_progress)
    return follow_task(sqs, dead_letters, task, on_progress)


def unsupported(error: ClientError) -> bool:
    """Whether an answer to a move-task request means the endpoint has none. An emulator without
    the operation may answer a server error (moto's server: HTTP 500 with an HTML page); SQS
    answers 5xx only when it fails (InternalFailure, ServiceUnavailable), which botocore has
    already retried, and then the move by hand is as safe: send, then delete."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    # SQS answers query-compatible codes: `AWS.SimpleQueueService.UnsupportedOperation`.
    return error_code(error).removeprefix("AWS.SimpleQueueService.") in UNSUPPORTED_CODES or status >= 500


def running_task(sqs, dead_letters: Queue) -> dict | None:
    """The move task already running on the queue (SQS runs one per queue at a time)."""
    newest = newest_task(sqs, dead_letters)
    return newest if newest and newest.get("Status") == "RUNNING" else None


def start_task(sqs, dead_letters: Queue, upload_queue: Queue) -> dict:
    handle = sqs.start_message_move_task(SourceArn=dead_letters.arn, DestinationArn=upload_queue.arn)["TaskHandle"]
    return {"TaskHandle": handle, "Status": "RUNNING"}


def follow_task(sqs, dead_letters: Queue, task: dict, on_progress) -> Moved:
    intervals = TASK_POLL.intervals()
    while True:
        jobs.pause(next(intervals))
        task = newest_task(sqs, dead_letters)
        if task is None:
            raise ToolError(f"SQS lists no message move task for {dead_letters.arn}")
        moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
        to_move = int(task.get("ApproximateNumberOfMessagesToMove", moved))
        on_progress(moved, to_move)
        if task.get("Status") in TASK_ENDED:
            break
    if task["Status"] != "COMPLETED":
        reason = f": {task['FailureReason']}" if task.get("FailureReason") else ""
        raise ToolError(
            f"the message move task of the dead-letter queue ended {task['Status']}{reason}"
            f" after moving {moved} of {to_move} messages"
        )
    return Moved(moved, to_move, "SQS message move task")


def newest_task(sqs, dead_letters: Queue) -> dict | None:
    results = sqs.list_message_move_tasks(SourceArn=dead_letters.arn, MaxResults=1).get("Results", [])
    return results[0] if results else None


def move_by_hand(sqs, dead_letters: Queue, upload_queue: Queue, on_progress) -> Moved:
    """Send each message's body to the upload queue, then delete it from the dead-letter queue.
    The reason attributes stay behind: they described the last attempt, not the next one."""
    moved = 0
    to_move = dead_letters.waiting
    while messages := sqs.receive_message(
        QueueUrl=dead_letters.url, MaxNumberOfMessages=SQS_BATCH, VisibilityTimeout=PEEK_VISIBILITY
    ).get("Messages", []):
        pending = [message["ReceiptHandle"] for message in messages]
        try:
            for message in messages:
                sqs.send_message(QueueUrl=upload_queue.url, MessageBody=message["Body"])
                sqs.delete_message(QueueUrl=dead_letters.url, ReceiptHandle=pending.pop(0))
                moved += 1
                on_progress(moved, max(to_move, moved))
        finally:
            make_visible(sqs, dead_letters.url, pending)
    return Moved(moved, max(to_move, moved), "by hand: this endpoint has no SQS message move tasks")
