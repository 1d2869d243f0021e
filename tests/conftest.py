import os
import sys

# Machines like CI's set PYTHONDONTWRITEBYTECODE and the test command installs nothing
# byte-compiled, so every process (each test worker, the emulator, each function it runs, each
# program a test runs) compiled pulumi_aws, botocore and moto from source again: let the first
# one keep what it compiled. Set before anything else is imported, and inherited by subprocesses.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

import functools
import json
import time
from collections import Counter
from dataclasses import dataclass, field

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.sqs.models import sqs_backends
from moto.transcribe.models import FakeTranscriptionJob

import esm
from aws_model import assert_valid_request, check_against_model
from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET
from lambda_env import FAKE_CREDENTIALS, REGION, LambdaContext, VirtualClock, fresh_import
from ledger_table import TABLE, create_ledger_table

UPLOAD_QUEUE = "uploads"
DEAD_LETTER_QUEUE = "uploads-dead-letters"
FUNCTION_TIMEOUT = 60

# Every botocore session parses the service models and endpoint rules anew (about 0.1 s a client),
# and every `mock_aws` and fresh function import makes a new session: the tests share one loader,
# whose cache holds the parsed JSON. Nothing in botocore writes to what it loads.
_SHARED_LOADER = functools.cache(botocore.loaders.create_loader)


@pytest.fixture(scope="session", autouse=True)
def shared_service_models():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", _SHARED_LOADER)
        yield


@pytest.fixture
def aws_credentials(monkeypatch):
    """Fake credentials, so nothing here can ever reach a real AWS account."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class UploadPipeline:
    handler: object
    s3: object
    transcribe: object
    sqs: object
    clock: VirtualClock
    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str
    dynamodb: object = None
    requests: list[dict] = field(default_factory=list)

    def jobs(self) -> list[dict]:
        summaries = self.transcribe.list_transcription_jobs(MaxResults=100)["TranscriptionJobSummaries"]
        return [self.transcribe.get_transcription_job(TranscriptionJobName=s["TranscriptionJobName"])["TranscriptionJob"] for s in summaries]

    def job_names(self) -> set[str]:
        return {s["TranscriptionJobName"] for s in self.transcribe.list_transcription_jobs(MaxResults=100)["TranscriptionJobSummaries"]}

    def send(self, *bodies) -> None:
        """Put S3 notifications (dicts) or raw bodies (str) into the upload queue."""
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body if isinstance(body, str) else json.dumps(body))

    def poll(self, seconds: float = FUNCTION_TIMEOUT):
        """One batch from the upload queue through the handler, as Lambda would run it."""
        invoke = lambda event: self.handler.lambda_handler(event, LambdaContext(self.clock, seconds))  # noqa: E731
        return esm.poll_once(self.sqs, self.queue_url, self.queue_arn, REGION, invoke)

    def deliver(self, *bodies, seconds: float = FUNCTION_TIMEOUT) -> set[str]:
        """Send, then run one batch; returns the ids of the messages handed back."""
        self.send(*bodies)
        _, _, failed = self.poll(seconds)
        return failed

    def later(self) -> None:
        """Let the visibility timeouts the handler set run out: moto keeps real time, so its
        messages are made visible directly."""
        for message in sqs_backends[ACCOUNT][REGION].queues[UPLOAD_QUEUE]._messages:
            message.visible_at = 0.0

    def dead_letters(self) -> list[dict]:
        return self.sqs.receive_message(
            QueueUrl=self.dead_letter_queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
        ).get("Messages", [])

    def ledger(self) -> list[dict]:
        """Every media item of the ledger table (not its internal ones), values as plain strings."""
        items = self.dynamodb.scan(TableName=TABLE)["Items"]
        return [{k: v.get("S", v.get("N")) for k, v in item.items()} for item in items if not item["media"]["S"].startswith("#")]

    def starts(self) -> dict[str, int]:
        """StartTranscriptionJob requests Transcribe accepted, by media URI."""
        return dict(Counter(job["Media"]["MediaFileUri"] for job in self.jobs()))

    def queued(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


@pytest.fixture
def handler_env(monkeypatch):
    """The upload function's environment as the program sets it (tests may change it first)."""
    env = {
        "OUTPUT_BUCKET": TRANSCRIPT_BUCKET,
        "OUTPUT_PREFIX": "transcripts/",
        "LANGUAGE_CODE": "en-US",
        "JOB_NAME_PREFIX": "transcribe-pipeline-test-abc123-",
        "JOB_TAGS": '{"project": "transcribe-pipeline", "stack": "test"}',
        "METRICS_NAMESPACE": "transcribe-pipeline/test",
        "LEDGER_TABLE": TABLE,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in (
        "LANGUAGE_OPTIONS", "SUBTITLE_FORMATS", "MAX_SPEAKERS", "DATA_ACCESS_ROLE_ARN", "START_RATE", "DEAD_LETTER_QUEUE_URL",
        "VOCABULARY_NAMES", "VOCABULARY_FILTER_NAMES", "VOCABULARY_FILTER_METHOD", "CHANNEL_IDENTIFICATION", "REDACT_PII",
        "PII_ENTITY_TYPES",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def pipeline(aws_credentials, handler_env):
    """moto S3, SQS and Transcribe: the two buckets, the upload queue with its dead-letter queue,
    and the handler imported inside the mock, on a virtual clock. Every StartTranscriptionJob the
    handler sends is checked against botocore's model."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (MEDIA_BUCKET, TRANSCRIPT_BUCKET):
            s3.create_bucket(Bucket=bucket)
        sqs = boto3.client("sqs", region_name=REGION)
        dead_letters = sqs.create_queue(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]
        dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName=UPLOAD_QUEUE,
            Attributes={
                "VisibilityTimeout": str(6 * FUNCTION_TIMEOUT),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 1000}),
            },
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        handler_env.setenv("DEAD_LETTER_QUEUE_URL", dead_letters)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_ledger_table(dynamodb)
        handler = fresh_import("handler")
        clock = VirtualClock(time.time())
        handler.clock = clock
        result = UploadPipeline(
            handler=handler, s3=s3, transcribe=boto3.client("transcribe", region_name=REGION), sqs=sqs, clock=clock,
            queue_url=queue_url, queue_arn=queue_arn, dead_letter_queue_url=dead_letters, dynamodb=dynamodb,
        )  # fmt: skip

        def check_and_keep(params, **_):
            assert_valid_request("transcribe", "StartTranscriptionJob", params)
            result.requests.append(params)

        handler.transcribe.meta.events.register("provide-client-params.transcribe.StartTranscriptionJob", check_and_keep)
        handler.dynamodb.meta.events.register("provide-client-params.dynamodb", check_against_model)
        yield result


@pytest.fixture
def transcribe_reports_failure_reason(monkeypatch):
    """moto's GetTranscriptionJob leaves out FailureReason, which Transcribe returns for a FAILED
    job (botocore's model has it); put it back."""
    original = FakeTranscriptionJob.response_object

    def with_failure_reason(self, response_type):
        response = original(self, response_type)
        if response_type == "GET" and self.failure_reason:
            response["TranscriptionJob"]["FailureReason"] = self.failure_reason
        return response

    monkeypatch.setattr(FakeTranscriptionJob, "response_object", with_failure_reason)
