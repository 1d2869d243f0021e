import functools
from dataclasses import dataclass, field

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws
from moto.transcribe.models import FakeTranscriptionJob

from aws_model import assert_valid_request
from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET
from lambda_env import FAKE_CREDENTIALS, REGION, fresh_import

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
    requests: list[dict] = field(default_factory=list)

    def jobs(self) -> list[dict]:
        summaries = self.transcribe.list_transcription_jobs(MaxResults=100)["TranscriptionJobSummaries"]
        return [self.transcribe.get_transcription_job(TranscriptionJobName=s["TranscriptionJobName"])["TranscriptionJob"] for s in summaries]

    def job_names(self) -> set[str]:
        return {s["TranscriptionJobName"] for s in self.transcribe.list_transcription_jobs(MaxResults=100)["TranscriptionJobSummaries"]}


@pytest.fixture
def handler_env(monkeypatch):
    """The upload function's environment as the program sets it (tests may change it first)."""
    env = {
        "OUTPUT_BUCKET": TRANSCRIPT_BUCKET,
        "OUTPUT_PREFIX": "transcripts/",
        "LANGUAGE_CODE": "en-US",
        "JOB_NAME_PREFIX": "transcribe-pipeline-test-abc123-",
        "JOB_TAGS": '{"project": "transcribe-pipeline", "stack": "test"}',
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("LANGUAGE_OPTIONS", "SUBTITLE_FORMATS", "MAX_SPEAKERS", "DATA_ACCESS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def pipeline(aws_credentials, handler_env):
    """moto S3 and Transcribe, the two buckets, and the handler imported inside the mock.
    Every StartTranscriptionJob the handler sends is checked against botocore's model."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (MEDIA_BUCKET, TRANSCRIPT_BUCKET):
            s3.create_bucket(Bucket=bucket)
        handler = fresh_import("handler")
        result = UploadPipeline(handler=handler, s3=s3, transcribe=boto3.client("transcribe", region_name=REGION))

        def check_and_keep(params, **_):
            assert_valid_request("transcribe", "StartTranscriptionJob", params)
            result.requests.append(params)

        handler.transcribe.meta.events.register("provide-client-params.transcribe.StartTranscriptionJob", check_and_keep)
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
