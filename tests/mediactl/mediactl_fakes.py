"""Stand-ins and builders for the media tool's tests: the `pulumi` script, the Lambda functions,
a deployed stack in moto, and what the pipeline's function and Transcribe would leave behind."""

import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_plus

import boto3
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends
from moto.transcribe.models import FakeTranscriptionJob, transcribe_backends

import esm
import sqs_batch
from function import naming
from lambda_env import LambdaContext, VirtualClock, fresh_import
from ledger_table import create_ledger_table

REGION = "us-east-1"
PROJECT = "transcribe-pipeline"

FAKE_PULUMI = """
import json, os, sys

with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd()}) + "\\n")
args = sys.argv[1:]
if args[:3] != ["stack", "output", "--json"] or "--stack" not in args:
    sys.exit("error: this stand-in only answers `pulumi stack output --json --stack NAME`")
name = args[args.index("--stack") + 1]
with open(os.environ["FAKE_PULUMI_STACKS"]) as stacks_file:
    stacks = json.load(stacks_file)
if name not in stacks:
    print(f"error: no stack named '{name}' found", file=sys.stderr)
    sys.exit(255)
print(stacks[name] if isinstance(stacks[name], str) else json.dumps(stacks[name], indent=4))
"""


class PulumiStandIn:
    """A `pulumi` executable on PATH that prints the outputs of the stacks given to `add`."""

    def __init__(self, directory: Path):
        self.stacks_file = directory / "stacks.json"
        self.log_file = directory / "pulumi-calls.jsonl"
        self.stacks: dict = {}
        self.stacks_file.write_text("{}")

    def add(self, name: str, outputs) -> None:
        """`outputs` is a dict, or the raw text the stand-in prints."""
        self.stacks[name] = outputs
        self.stacks_file.write_text(json.dumps(self.stacks))

    def calls(self) -> list[dict]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]


class FunctionFailed(Exception):
    """Raised by a stand-in behaviour: the invocation answers with FunctionError, and with the
    error as Lambda's runtime reports it, or with `payload` as it is."""

    def __init__(self, message: str, payload: bytes | None = None):
        super().__init__(message)
        self.payload = payload


@dataclass
class FunctionStandIn:
    """Plays the Lambda functions: records each invocation, answers with `behaviour(name, event)`."""

    calls: list[tuple[str, object]] = field(default_factory=list)
    behaviour: object = staticmethod(lambda name, event: {"ok": True})

    def invoke(self, function, body, request_headers, response_headers):
        event = json.loads(body) if body else {}
        self.calls.append((function.function_name, event))
        try:
            answer = self.behaviour(function.function_name, event)
        except FunctionFailed as failure:
            response_headers["x-amz-function-error"] = "Unhandled"
            if failure.payload is not None:
                return failure.payload
            return json.dumps({"errorMessage": str(failure), "errorType": "FunctionFailed"}).encode()
        return json.dumps(answer).encode()


@dataclass
class Pipeline:
    """One deployed stack, as moto resources and the outputs `pulumi stack output` prints."""

    stack: str
    input_bucket: str
    output_bucket: str
    # The failure queue.
    queue_url: str
    function_name: str
    function_arn: str
    job_name_prefix: str
    outputs: dict
    # None on a stack from before the upload queue.
    upload_queue_url: str | None = None
    dead_letter_queue_url: str | None = None


def create_function(name: str) -> str:
    iam = boto3.client("iam")
    try:
        role = iam.get_role(RoleName="pipeline-function")["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="pipeline-function", AssumeRolePolicyDocument="{}")["Role"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context):\n    return {}\n")
    created = boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    return created["FunctionArn"]


# The upload queue's redrive policy: after this many receives SQS moves a message to the DLQ (the
# function itself dead-letters a failing upload at its 5th receive).
MAX_RECEIVE_COUNT = sqs_batch.DEAD_LETTER_AFTER_RECEIVES + 1


def create_upload_queues(stack: str) -> tuple[str, str]:
    """The upload queue and its dead-letter queue, as the program declares them."""
    sqs = boto3.client("sqs")
    dead_letters = sqs.create_queue(QueueName=f"{stack}-dead-letters")["QueueUrl"]
    dead_letters_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive_policy = json.dumps({"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
    uploads = sqs.create_queue(QueueName=f"{stack}-uploads", Attributes={"RedrivePolicy": redrive_policy})["QueueUrl"]
    return uploads, dead_letters


def deploy(
    pulumi: PulumiStandIn, stack: str, key_prefix: str = "", output_prefix: str = "transcripts/", queued: bool = True
) -> Pipeline:
    """`queued`: the upload queue design; else the direct S3 -> Lambda one, without its outputs."""
    s3 = boto3.client("s3")
    input_bucket, output_bucket = f"{stack}-media", f"{stack}-transcripts"
    s3.create_bucket(Bucket=input_bucket)
    s3.create_bucket(Bucket=output_bucket)
    queue_url = boto3.client("sqs").create_queue(QueueName=f"{stack}-failures")["QueueUrl"]
    function_name = f"{stack}-upload"
    function_arn = create_function(function_name)
    create_function(f"{stack}-completion")
    ledger_table = create_ledger_table(boto3.client("dynamodb"), f"{stack}-ledger")
    prefix = naming.job_name_prefix(PROJECT, stack)
    outputs = {
        "inputBucket": input_bucket,
        "outputBucket": output_bucket,
        "functionName": function_name,
        "failureQueueUrl": queue_url,
        "logGroupName": f"/aws/lambda/{function_name}",
        "completionFunctionName": f"{stack}-completion",
        "completionLogGroupName": f"/aws/lambda/{stack}-completion",
        "region": REGION,
        "uploadCommand": f"aws s3 cp ./talk.mp3 s3://{input_bucket}/{key_prefix}",
        "jobNamePrefix": prefix,
        "outputPrefix": output_prefix,
        "keyPrefix": key_prefix,
        "ledgerTableName": ledger_table,
    }
    upload_queue_url = dead_letter_queue_url = None
    if queued:
        upload_queue_url, dead_letter_queue_url = create_upload_queues(stack)
        outputs.update(uploadQueueUrl=upload_queue_url, deadLetterQueueUrl=dead_letter_queue_url)
    pulumi.add(stack, outputs)
    return Pipeline(
        stack, input_bucket, output_bucket, queue_url, function_name, function_arn, prefix, outputs,
        upload_queue_url, dead_letter_queue_url,
    )


def outputs_file(directory: Path, pipeline: Pipeline) -> Path:
    """The stack's outputs saved as `pulumi stack output --json --stack NAME > FILE` saves them."""
    path = directory / f"{pipeline.stack}-outputs.json"
    path.write_text(json.dumps(pipeline.outputs, indent=4) + "\n")
    return path


def transcript_document(text: str, items: list[dict] | None = None) -> dict:
    """The shape of a Transcribe JSON transcript, trimmed."""
    return {
        "jobName": "job",
        "accountId": DEFAULT_ACCOUNT_ID,
        "status": "COMPLETED",
        "results": {"transcripts": [{"transcript": text}], "items": items or []},
    }


def start_job(pipeline: Pipeline, key: str, upload_id: str, subtitle_formats=("srt",), language="en-US", document=None) -> str:
    """Start the job of an upload as the pipeline's function would, and write the files that
    Transcribe would write once it completes (moto writes none)."""
    name = naming.job_name(pipeline.job_name_prefix, pipeline.input_bucket, key, upload_id)
    output_prefix = pipeline.outputs["outputPrefix"]
    request = {
        "TranscriptionJobName": name,
        "Media": {"MediaFileUri": f"s3://{pipeline.input_bucket}/{key}"},
        "MediaFormat": naming.media_format(key),
        "LanguageCode": language,
        "OutputBucketName": pipeline.output_bucket,
        "OutputKey": naming.transcript_key(output_prefix, key),
    }
    if subtitle_formats:
        request["Subtitles"] = {"Formats": list(subtitle_formats)}
    boto3.client("transcribe").start_transcription_job(**request)
    s3 = boto3.client("s3")
    s3.put_object(
        Bucket=pipeline.output_bucket,
        Key=naming.transcript_key(output_prefix, key),
        Body=json.dumps(document or transcript_document(f"hello from {key}")).encode(),
    )
    for fmt in subtitle_formats:
        s3.put_object(
            Bucket=pipeline.output_bucket,
            Key=naming.subtitle_key(output_prefix, key, fmt),
            Body=f"1\n00:00:00,000 --> 00:00:01,000\nhello from {key}\n".encode(),
        )
    return name


def uploads_of(event: dict) -> list[tuple[str, str]]:
    return [
        (unquote_plus(record["s3"]["object"]["key"]), record["s3"]["object"]["eTag"]) for record in event["Records"]
    ]


def moto_job(name: str) -> FakeTranscriptionJob:
    return transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[name]


def notify_upload_queue(pipeline: Pipeline) -> None:
    """The bucket notifies the upload queue of uploads, as the program sets it up; S3's test
    message is taken off the queue, as the upload function would skip it."""
    sqs = boto3.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=pipeline.upload_queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=pipeline.input_bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    for message in sqs.receive_message(QueueUrl=pipeline.upload_queue_url, MaxNumberOfMessages=10).get("Messages", []):
        assert json.loads(message["Body"])["Event"] == "s3:TestEvent"
        sqs.delete_message(QueueUrl=pipeline.upload_queue_url, ReceiptHandle=message["ReceiptHandle"])


def upload_messages(pipeline: Pipeline) -> list[dict]:
    """What the upload queue holds now, received as the event source mapping would."""
    received = boto3.client("sqs").receive_message(
        QueueUrl=pipeline.upload_queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return received.get("Messages", [])


def dead_letter_as_the_function_does(pipeline: Pipeline, message: dict, code: str, reason: str) -> None:
    """The upload function gives up on a message: the same body to the DLQ with the reason."""
    sqs = boto3.client("sqs")
    sqs.send_message(
        QueueUrl=pipeline.dead_letter_queue_url,
        MessageBody=message["Body"],
        MessageAttributes={
            "ERROR_CODE": {"DataType": "String", "StringValue": code},
            "ERROR_MESSAGE": {"DataType": "String", "StringValue": reason},
        },
    )
    sqs.delete_message(QueueUrl=pipeline.upload_queue_url, ReceiptHandle=message["ReceiptHandle"])


def receive_until_dead_lettered(pipeline: Pipeline) -> None:
    """Receive the upload queue's messages without deleting them until SQS's redrive policy moves
    them to the dead-letter queue."""
    sqs = boto3.client("sqs")
    for _ in range(MAX_RECEIVE_COUNT + 1):
        sqs.receive_message(QueueUrl=pipeline.upload_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)


def queue_bodies(queue_url: str) -> list[str]:
    """The bodies of every message in the queue, left in it."""
    sqs = boto3.client("sqs")
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return sorted(message["Body"] for message in received.get("Messages", []))


class UploadFunction:
    """The real upload function (function/handler.py) fed by the upload queue through Lambda's
    event source mapping (tests/esm.py), on a virtual clock, against the moto server."""

    def __init__(self, pipeline: Pipeline, monkeypatch):
        env = {
            "OUTPUT_BUCKET": pipeline.output_bucket,
            "OUTPUT_PREFIX": pipeline.outputs["outputPrefix"],
            "LANGUAGE_CODE": "en-US",
            "JOB_NAME_PREFIX": pipeline.job_name_prefix,
            "JOB_TAGS": json.dumps({"project": PROJECT, "stack": pipeline.stack}),
            "DEAD_LETTER_QUEUE_URL": pipeline.dead_letter_queue_url,
            "LEDGER_TABLE": pipeline.outputs["ledgerTableName"],
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        self.pipeline = pipeline
        self.handler = fresh_import("handler")
        self.clock = VirtualClock(time.time())
        self.handler.clock = self.clock
        self.sqs = boto3.client("sqs")
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=pipeline.upload_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def transcribe_refuses(self, code: str, message: str) -> None:
        """Every StartTranscriptionJob of the function fails with this error."""

        def refuse(**_):
            raise ClientError({"Error": {"Code": code, "Message": message}}, "StartTranscriptionJob")

        self.handler.transcribe.meta.events.register("before-call.transcribe.StartTranscriptionJob", refuse)

    def poll_until_dead_lettered(self) -> None:
        """Run the function on the upload queue until what it cannot start is dead-lettered, the
        backoffs it sets passing at once."""
        queue = self.pipeline.upload_queue_url.rstrip("/").rsplit("/", 1)[-1]
        for _ in range(sqs_batch.DEAD_LETTER_AFTER_RECEIVES):
            self.poll()
            for message in sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[queue]._messages:
                message.visible_at = 0.0

    def poll(self):
        """One batch from the upload queue through the function, as Lambda would run it."""
        invoke = lambda event: self.handler.lambda_handler(event, LambdaContext(self.clock, 60))  # noqa: E731
        return esm.poll_once(self.sqs, self.pipeline.upload_queue_url, self.queue_arn, REGION, invoke)
