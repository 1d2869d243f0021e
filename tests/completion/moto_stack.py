"""The fake AWS the completion tests run in: constants, and the moto stack with both functions."""

import json
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.transcribe.models import transcribe_backends

import esm
import naming
from aws_model import assert_valid_request
from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET, s3_event, s3_record
from lambda_env import REGION, LambdaContext, fresh_import

PREFIX = "transcripts/"
JOB_NAME_PREFIX = naming.job_name_prefix("transcribe-pipeline", "test")
FAILED_AT = datetime(2026, 11, 24, 9, 4, 31, tzinfo=timezone.utc)


def check_requests(client, calls: list) -> None:
    """Check every request `client` sends against botocore's model and keep (operation, params)."""

    def check(params, model, **_):
        assert_valid_request(model.service_model.service_name, model.name, params)
        calls.append((model.name, params))

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"provide-client-params.{service}", check)


@dataclass
class MotoStack:
    """The two functions in moto, with the world around them."""

    monkeypatch: pytest.MonkeyPatch
    s3: object
    transcribe: object
    sqs: object
    topic_arn: str
    queue_url: str
    upload_queue_url: str
    upload_queue_arn: str
    calls: list = field(default_factory=list)
    """(operation, params) of every request the completion function sent."""

    def upload(self, key: str, *, speakers: int = 0, subtitles: tuple[str, ...] = (), size: int = 64) -> str:
        """Upload `key` to the media bucket and hand S3's event to our upload handler through the
        upload queue; returns the name of the job it started."""
        self.monkeypatch.setenv("MAX_SPEAKERS", str(speakers))
        self.monkeypatch.setenv("SUBTITLE_FORMATS", ",".join(subtitles))
        handler = fresh_import("handler")
        for client in (handler.transcribe, handler.s3()):
            check_requests(client, [])
        self.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=b"\x00" * 64)
        before = self.job_names()
        self.sqs.send_message(QueueUrl=self.upload_queue_url, MessageBody=json.dumps(s3_event(s3_record(key, size=size))))
        invoke = lambda event: handler.lambda_handler(event, LambdaContext(time, 60))  # noqa: E731
        _, response, failed = esm.poll_once(self.sqs, self.upload_queue_url, self.upload_queue_arn, REGION, invoke)
        assert failed == set(), response
        started = self.job_names() - before
        assert len(started) <= 1
        return started.pop() if started else ""

    def job_names(self) -> set[str]:
        summaries = self.transcribe.list_transcription_jobs(MaxResults=100)["TranscriptionJobSummaries"]
        return {s["TranscriptionJobName"] for s in summaries}

    def complete(self, job_name: str, document: dict | None = None) -> dict:
        """Let moto drive the job to COMPLETED, then put Transcribe's output file (`document`)
        where the job says it is."""
        for _ in range(5):
            job = self.transcribe.get_transcription_job(TranscriptionJobName=job_name)["TranscriptionJob"]
            if job["TranscriptionJobStatus"] == "COMPLETED":
                break
        assert job["TranscriptionJobStatus"] == "COMPLETED", job
        if document is not None:
            bucket, key = s3_location(job["Transcript"]["TranscriptFileUri"])
            self.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode("utf-8"))
        return job

    def fail(self, job_name: str, reason: str | None) -> None:
        """Make the job FAILED, the way Transcribe ends a job it cannot transcribe (moto has no
        switch for it: this sets its backend object)."""
        job = transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name]
        job.status = "FAILED"
        job.failure_reason = reason
        job.completion_time = FAILED_AT

    def completion(self, *, topic: bool = False):
        """The completion module, imported with the environment the program gives it."""
        self.monkeypatch.setenv("TOPIC_ARN", self.topic_arn if topic else "")
        module = fresh_import("completion")
        for client in (module.s3, module.transcribe, module.sns, module.ledger.client):
            check_requests(client, self.calls)
        return module

    def run(self, event: dict, *, topic: bool = False) -> dict:
        return self.completion(topic=topic).lambda_handler(event, None)

    def published(self) -> list[dict]:
        """The messages the topic delivered (Subject, Message), oldest first."""
        messages = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return messages

    def output_objects(self) -> dict[str, bytes]:
        listing = self.s3.list_objects_v2(Bucket=TRANSCRIPT_BUCKET).get("Contents", [])
        return {o["Key"]: self.s3.get_object(Bucket=TRANSCRIPT_BUCKET, Key=o["Key"])["Body"].read() for o in listing}

    def read(self, key: str) -> str:
        return self.s3.get_object(Bucket=TRANSCRIPT_BUCKET, Key=key)["Body"].read().decode("utf-8")


def s3_location(uri: str) -> tuple[str, str]:
    """(bucket, key) of a path-style https S3 URL, as moto gives TranscriptFileUri."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(uri).path)
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key
