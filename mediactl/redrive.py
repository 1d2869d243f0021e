"""`redrive`: give the events kept in the failure queue back to the function that failed them.

Two kinds of message land there: Lambda's on-failure destination records (the original event is
the `requestPayload`, the function the `requestContext.functionArn`), and events EventBridge could
not deliver to the completion function (the body is the event, the function the `TARGET_ARN`
attribute). A message is deleted only once a synchronous invocation with its event has
succeeded; every other message stays in the queue.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

from mediactl.aws import describe_aws_error

# Long enough for one invocation (Lambda stops a function after 900 s at most), so a message
# being redriven is not received a second time by this run.
VISIBILITY_TIMEOUT = 1800
RECEIVE_WAIT = 2
SQS_BATCH = 10


@dataclass
class Report:
    redriven: int = 0
    unreadable: int = 0
    # One line per message whose invocation failed: what it carried and why.
    failed: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return self.unreadable + len(self.failed)


def failure_record(body: str) -> dict | None:
    """The on-failure destination record a message body holds, or None."""
    try:
        record = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("requestContext"), dict):
        return None
    return record if "requestPayload" in record else None


def undelivered_event(message: dict) -> tuple[dict, str | None] | None:
    """(event, target ARN) of an event EventBridge could not deliver, or None."""
    try:
        event = json.loads(message.get("Body", ""))
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(event, dict) or "detail-type" not in event or "source" not in event:
        return None
    target = message.get("MessageAttributes", {}).get("TARGET_ARN", {}).get("StringValue")
    return event, target


def function_of(record: dict, fallback: str | None) -> str | None:
    """The function that failed the event, without a qualifier (the current code runs it again)."""
    return unqualified(record["requestContext"].get("functionArn")) or fallback


def unqualified(function_arn) -> str | None:
    parts = str(function_arn or "").split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "lambda" and parts[5] == "function":
        return ":".join(parts[:7])
    return None


def event_summary(payload) -> str:
    """The S3 keys an event carries, to name it in a report."""
    try:
        keys = [unquote_plus(record["s3"]["object"]["key"]) for record in payload["Records"]]
    except (KeyError, TypeError):
        keys = []
    return ", ".join(keys) if keys else "an event without S3 records"


def invoke(lambda_, function: str, payload) -> str | None:
    """Run the function with `payload` and wait for its answer; None on success, else why not."""
    try:
        response = lambda_.invoke(
            FunctionName=function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode("utf-8"),
        )
    except ClientError as error:
        return describe_aws_error(error)
    if not response.get("FunctionError"):
        return None
    body = response["Payload"].read()
    try:
        error = json.loads(body)
        reason = error.get("errorMessage") or error.get("errorType")
    except (json.JSONDecodeError, AttributeError):
        reason = None
    return f"the function failed again ({response['FunctionError']}): {reason or body[:200]!r}"


def redrive(
    sqs, lambda_, queue_url: str, fallback_function: str | None, on_progress, completion_function: str | None = None
) -> Report:
    report = Report()
    kept: list[str] = []
    try:
        while messages := receive(sqs, queue_url):
            for message in messages:
                if redrive_message(lambda_, message, fallback_function, report, completion_function):
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                    report.redriven += 1
                else:
                    kept.append(message["ReceiptHandle"])
                on_progress(report)
    finally:
        make_visible(sqs, queue_url, kept)
    return report


def receive(sqs, queue_url: str) -> list[dict]:
    return sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=SQS_BATCH,
        WaitTimeSeconds=RECEIVE_WAIT,
        VisibilityTimeout=VISIBILITY_TIMEOUT,
        MessageAttributeNames=["All"],
    ).get("Messages", [])


def redrive_message(
    lambda_, message: dict, fallback_function: str | None, report: Report, completion_function: str | None = None
) -> bool:
    """Invoke the function again with the message's event; True once it succeeded."""
    record = failure_record(message.get("Body", ""))
    if record is None:
        return redrive_undelivered(lambda_, message, completion_function, report)
    what = event_summary(record["requestPayload"])
    function = function_of(record, fallback_function)
    if function is None:
        report.failed.append(f"{what}: the record names no function, and the stack has no functionName output")
        return False
    if reason := invoke(lambda_, function, record["requestPayload"]):
        report.failed.append(f"{what}: {reason}")
        return False
    return True


def redrive_undelivered(lambda_, message: dict, completion_function: str | None, report: Report) -> bool:
    """Deliver an event EventBridge gave up on to its target (or the stack's completion function)."""
    undelivered = undelivered_event(message)
    if undelivered is None:
        report.unreadable += 1
        return False
    event, target = undelivered
    what = f"{event.get('detail-type')} of {event.get('detail', {}).get('TranscriptionJobName', 'an unnamed job')}"
    function = unqualified(target) or completion_function
    if function is None:
        report.failed.append(f"{what}: the message names no target, and the stack has no completionFunctionName output")
        return False
    if reason := invoke(lambda_, function, event):
        report.failed.append(f"{what}: {reason}")
        return False
    return True


def make_visible(sqs, queue_url: str, receipt_handles: list[str]) -> None:
    """Put the kept messages back at once rather than after the visibility timeout."""
    for start in range(0, len(receipt_handles), SQS_BATCH):
        batch = receipt_handles[start : start + SQS_BATCH]
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0} for i, handle in enumerate(batch)],
        )
