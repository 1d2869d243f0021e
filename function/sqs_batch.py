"""The upload function's side of Lambda's SQS event source mapping: the batch's messages, what
becomes of each one not done with — back to the queue after a backoff (a partial batch
response), sent again as a new message before the queue's retention runs out, or moved to the
dead-letter queue with why — and the SQS calls that do it.

AWS's "Handling errors for an SQS event source in Lambda": with ReportBatchItemFailures, the
messages named in `batchItemFailures` become visible again; the others are deleted.
"""

import functools
import logging
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger("handler")

# Visibility backoff of a message handed back without any progress in its invocation: 1 minute,
# doubling with each receive, up to 30 minutes, so that the queue's maxReceiveCount (1000) is not
# reached within the queue's 14-day retention.
RETRY_VISIBILITY = (60, 1800)
# SQS's longest visibility: 12 hours from the receive (SQS Developer Guide, "Amazon SQS visibility
# timeout"; 43,200 s set at once "will likely fail", so a little less).
MAX_VISIBILITY = 43_000
# An error that is not back-pressure sends the message to the dead-letter queue from this receive.
DEAD_LETTER_AFTER_RECEIVES = 5
# A message still not done with this long after it was sent is sent again as a new message (a
# fresh 14 days in the queue), so a backlog of any length never expires; a day before the
# reconciler would send its uploads again from the ledger (ledger.RESEND_AFTER).
CARRY_OVER_AGE = 11 * 24 * 3600


class BadRecord(ValueError):
    """A record that does not describe an S3 upload we can act on."""


@dataclass
class Message:
    """One message of the batch, and how far the function got with its uploads."""

    id: str
    body: str
    queue_arn: str
    receipt_handle: str
    receive_count: int
    sent_at: float
    """When SQS received it, in seconds since the epoch."""
    uploads: list = field(default_factory=list)
    """The media uploads it reports that are not yet done with."""
    entries: dict = field(default_factory=dict)
    """Upload identity -> its ledger entry, once recorded (one dict for the whole batch, so that
    two messages reporting the same upload see each other's progress)."""
    error: str = ""
    """Why an upload could not be started, when that was not back-pressure."""
    unreadable: str = ""
    """Why the body is not an S3 notification the function can act on."""

    @property
    def done(self) -> bool:
        return not self.uploads and not self.error and not self.unreadable


def sqs_records_of(event) -> list:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        raise BadRecord("event is not an SQS batch: it has no Records list")
    return records


def message_of(record, now: float) -> Message:
    attributes = record.get("attributes") or {}
    return Message(
        id=record["messageId"],
        body=record.get("body", ""),
        queue_arn=record.get("eventSourceARN", ""),
        receipt_handle=record.get("receiptHandle", ""),
        receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
        sent_at=int(attributes.get("SentTimestamp", 0)) / 1000 or now,
    )


def dead_letter_reason(message: Message) -> tuple[str, str] | None:
    """(code, reason) when the message will never start and goes to the dead-letter queue."""
    if message.unreadable:
        return "BadMessage", message.unreadable
    if message.error and message.receive_count >= DEAD_LETTER_AFTER_RECEIVES:
        return "Failed", f"{message.error} (after {message.receive_count} receives)"
    return None


def is_old(message: Message, now: float) -> bool:
    return now - message.sent_at > CARRY_OVER_AGE


def retry_visibility(message: Message, progressed: bool, held_until: float | None = None) -> int:
    """Seconds before a message handed back is received again: at once while jobs are starting,
    with a backoff by receive count when nothing could start or the message failed. Held by the
    daily limit, the backoff grows to the next UTC day (SQS's 12 hours at most), so that a raised
    limit is taken up soon and a held message is received a few times a day."""
    low, high = RETRY_VISIBILITY
    if held_until is not None:
        return int(max(1, min(low * 2 ** (message.receive_count - 1), held_until, MAX_VISIBILITY)))
    if progressed and not message.error:
        return 0
    return int(min(high, low * 2 ** (message.receive_count - 1)))


def hand_back(sqs, messages: list[Message], progressed: bool, held_until: float | None = None) -> None:
    """Set each message's visibility to its backoff. A change that fails only leaves the
    message to the queue's own visibility timeout: it still comes back."""
    for chunk in (messages[i : i + 10] for i in range(0, len(messages), 10)):
        entries = [
            {"Id": str(n), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": retry_visibility(m, progressed, held_until)}
            for n, m in enumerate(chunk)
        ]
        try:
            answer = sqs.change_message_visibility_batch(QueueUrl=queue_url(sqs, chunk[0].queue_arn), Entries=entries)
        except (ClientError, BotoCoreError) as error:
            logger.warning("visibility not changed: %s", error, extra={"outcome": "held"})
            continue
        for failed in answer.get("Failed", []):
            logger.warning("visibility not changed: %s", failed.get("Message"), extra={"outcome": "held"})
    for message in messages:
        logger.info("handed back to the upload queue", extra={
            "messageId": message.id, "outcome": "retry", "receiveCount": message.receive_count,
            "visibility": retry_visibility(message, progressed, held_until), "error": message.error or None,
        })  # fmt: skip


@functools.cache
def _queue_url(sqs, queue_arn: str) -> str:
    *_, account, name = queue_arn.split(":")
    return sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def queue_url(sqs, queue_arn: str) -> str:
    return _queue_url(sqs, queue_arn)


def dead_letter(sqs, dead_letter_queue_url: str, message: Message, code: str, reason: str) -> bool:
    """Put the message, as it came, into the dead-letter queue with why; True once it is there."""
    try:
        sqs.send_message(
            QueueUrl=dead_letter_queue_url,
            MessageBody=message.body or "(empty)",
            MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": code},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": reason[:1024]},
            },
        )
    except (ClientError, BotoCoreError) as error:
        logger.error("not moved to the dead-letter queue, handed back instead: %s", error,
                     extra={"messageId": message.id, "outcome": "retry"})  # fmt: skip
        return False
    logger.error("moved to the dead-letter queue: %s", reason, extra={"messageId": message.id, "outcome": "dead-lettered", "error": code})
    return True


def carry_over(sqs, message: Message) -> bool:
    """Send the message's body to its queue again as a new message; True once sent (the old one
    is then deleted by Lambda, as done)."""
    try:
        sqs.send_message(QueueUrl=queue_url(sqs, message.queue_arn), MessageBody=message.body)
    except (ClientError, BotoCoreError) as error:
        logger.warning("not carried over, handed back instead: %s", error, extra={"messageId": message.id, "outcome": "retry"})
        return False
    logger.info("carried over: sent again as a new message before the queue's retention runs out",
                extra={"messageId": message.id, "outcome": "carried-over"})  # fmt: skip
    return True
