"""`redrive`, the failure queue: give each event kept there back to where it should have gone.

Three kinds of message land there:
- Lambda's on-failure destination records of the completion function (the event is the
  `requestPayload`, the function the `requestContext.functionArn`): invoked again;
- the same records of the upload function from before the upload queue (a stack upgraded from the
  direct S3 -> Lambda design): their payload is an S3 notification, which now belongs in the
  upload queue, so it is sent there (invoking today's SQS-fed function with it would be wrong);
- events EventBridge could not deliver to the completion function (the body is the event, the
  function the `TARGET_ARN` attribute): invoked.
A message is deleted only once its invocation or its send succeeded; every other message stays.
Messages of none of these kinds are "unreadable": kept, and told one by one.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

from mediactl.aws import describe_aws_error
from mediactl.queues import SQS_BATCH, make_visible, s3_records

# Long enough for one invocation (Lambda stops a function after 900 s at most), so a message
# being redriven is not received a second time by this run.
VISIBILITY_TIMEOUT = 1800
RECEIVE_WAIT = 2
FIRST_BYTES = 60


@dataclass(frozen=True)
class Unreadable:
    message: dict
    why: str

    @property
    def message_id(self) -> str:
        return self.message.get("MessageId", "?")

    def first_bytes(self) -> str:
        body = self.message.get("Body", "")
        shown = json.dumps(body[:FIRST_BYTES], ensure_ascii=False)
        return shown + (" ..." if len(body) > FIRST_BYTES else "")


@dataclass
class Report:
    redriven: int = 0
    # Of those, the S3 notifications sent to the upload queue.
    requeued: int = 0
    # One line per message whose invocation failed: what it carried and why.
    failed: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return len(self.unreadable) + len(self.failed)


@dataclass(frozen=True)
class Destinations:
    """Where the events go when their message does not say."""

    function: str | None = None
    completion_function: str | None = None
    # None: a stack from before the upload queue; its S3 events go to `function` again.
    upload_queue_url: str | None = None


def unreadable_why(body: str) -> str:
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        return "not JSON"
    if not isinstance(parsed, dict):
        return f"JSON, but a {type(parsed).__name__}, not an object"
    if "requestContext" in parsed:
        return "a Lambda failure record without its requestPayload"
    return "JSON, but neither a Lambda failure record nor an event EventBridge could not deliver"


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
    return f"the function failed again ({response['FunctionError']}): {function_error(response['Payload'].read())}"


def function_error(body: bytes) -> str:
    """The reason a failed invocation answered with, as text on one line."""
    try:
        error = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        error = None
    if isinstance(error, dict) and (error.get("errorMessage") or error.get("errorType")):
        reason = error.get("errorMessage") or error.get("errorType")
        return f"{error['errorType']}: {reason}" if error.get("errorType") and reason != error["errorType"] else str(reason)
    text = " ".join(body.decode("utf-8", errors="replace").split())
    return text[:200] or "no reason given"


def redrive(sqs, lambda_, queue_url: str, destinations: Destinations, on_progress) -> Report:
    """Redrive every message; the unreadable ones stay received (hidden) so that the caller can
    export or delete them, then `release` them."""
    report = Report()
    failed_again: list[str] = []
    try:
        while messages := receive(sqs, queue_url):
            for message in messages:
                kept_before = len(report.failed)
                if redrive_message(sqs, lambda_, message, destinations, report):
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                    report.redriven += 1
                elif len(report.failed) > kept_before:
                    failed_again.append(message["ReceiptHandle"])
                on_progress(report)
    except BaseException:
        release(sqs, queue_url, [item.message for item in report.unreadable])
        raise
    finally:
        make_visible(sqs, queue_url, failed_again)
    return report


def receive(sqs, queue_url: str) -> list[dict]:
    return sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=SQS_BATCH,
        WaitTimeSeconds=RECEIVE_WAIT,
        VisibilityTimeout=VISIBILITY_TIMEOUT,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])


def redrive_message(sqs, lambda_, message: dict, destinations: Destinations, report: Report) -> bool:
    """Give the message's event back; True once that succeeded."""
    record = failure_record(message.get("Body", ""))
    if record is None:
        return redrive_undelivered(lambda_, message, destinations, report)
    payload = record["requestPayload"]
    what = event_summary(payload)
    is_upload = bool(s3_records(payload))
    if destinations.upload_queue_url and is_upload:
        sqs.send_message(QueueUrl=destinations.upload_queue_url, MessageBody=json.dumps(payload))
        report.requeued += 1
        return True
    output = "functionName" if is_upload else "completionFunctionName"
    function = function_of(record, destinations.function if is_upload else destinations.completion_function)
    if function is None:
        report.failed.append(f"{what}: the record names no function, and the stack has no {output} output")
        return False
    if reason := invoke(lambda_, function, payload):
        report.failed.append(f"{what}: {reason}")
        return False
    return True


def redrive_undelivered(lambda_, message: dict, destinations: Destinations, report: Report) -> bool:
    """Deliver an event EventBridge gave up on to its target (or the stack's completion function)."""
    undelivered = undelivered_event(message)
    if undelivered is None:
        report.unreadable.append(Unreadable(message, unreadable_why(message.get("Body", ""))))
        return False
    event, target = undelivered
    what = f"{event.get('detail-type')} of {event.get('detail', {}).get('TranscriptionJobName', 'an unnamed job')}"
    function = unqualified(target) or destinations.completion_function
    if function is None:
        report.failed.append(f"{what}: the message names no target, and the stack has no completionFunctionName output")
        return False
    if reason := invoke(lambda_, function, event):
        report.failed.append(f"{what}: {reason}")
        return False
    return True


def export(unreadable: list[Unreadable], directory: Path) -> list[Path]:
    """Save each message (body, attributes, id) as `<message id>.json` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    saved = []
    for item in unreadable:
        path = directory / f"{item.message_id}.json"
        kept = {name: item.message[name] for name in ("MessageId", "Body", "MessageAttributes", "Attributes") if name in item.message}
        path.write_text(json.dumps({**kept, "unreadable": item.why}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        saved.append(path)
    return saved


def delete(sqs, queue_url: str, messages: list[dict]) -> None:
    for message in messages:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def release(sqs, queue_url: str, messages: list[dict]) -> None:
    make_visible(sqs, queue_url, [message["ReceiptHandle"] for message in messages])
