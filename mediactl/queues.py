"""The stack's SQS queues as the tool sees them: their ARN and backlog, S3 notifications in their
messages, and putting received messages back."""

import json
from dataclasses import dataclass
from urllib.parse import unquote_plus

SQS_BATCH = 10


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str
    # Messages waiting to be received, and messages received but not yet deleted.
    waiting: int
    in_flight: int

    @property
    def backlog(self) -> int:
        return self.waiting + self.in_flight


def queue(sqs, url: str) -> Queue:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return Queue(
        url,
        attributes["QueueArn"],
        int(attributes.get("ApproximateNumberOfMessages", 0)),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


def s3_records(event) -> list[dict] | None:
    """The records of an S3 notification (a dict, or a message body holding one); None if it is
    something else. S3's `s3:TestEvent` has no records: an empty list."""
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except json.JSONDecodeError:
            return None
    if not isinstance(event, dict):
        return None
    if event.get("Event") == "s3:TestEvent":
        return []
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return None
    if not all(isinstance(record, dict) and record.get("eventSource") == "aws:s3" and "s3" in record for record in records):
        return None
    return records


def uploads_of(records: list[dict]) -> list[tuple[str, str, str]]:
    """(bucket, decoded key, eTag) of each record."""
    return [
        (
            record["s3"].get("bucket", {}).get("name", "?"),
            unquote_plus(record["s3"].get("object", {}).get("key", "")),
            record["s3"].get("object", {}).get("eTag", ""),
        )
        for record in records
    ]


def make_visible(sqs, queue_url: str, receipt_handles: list[str]) -> None:
    """Put received messages back at once rather than after their visibility timeout."""
    for start in range(0, len(receipt_handles), SQS_BATCH):
        batch = receipt_handles[start : start + SQS_BATCH]
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0} for i, handle in enumerate(batch)],
        )
