"""End to end through the queue, with the messages moto itself builds.

The program's own declarations (bucket names, the upload queue and its dead-letter queue, the
queue policy, the notification rules, the function's environment and batch size, evaluated under
Pulumi mocks) are applied to moto. Real objects are uploaded (put, multipart, copy); moto matches
its notification rules and sends its S3 events to the SQS queue; the batches SQS hands out go to
our handler as Lambda's event source mapping would hand them over (tests/esm.py), since moto cannot
run Lambda code without Docker.
"""

import json
import random
import time

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.sqs.models import sqs_backends
from moto.transcribe.models import TranscribeBackend

import esm
from aws_model import assert_valid_request
from lambda_env import REGION, LambdaContext, VirtualClock, fresh_import
from program import run_program, stand_up_in_moto

MEDIA = ["talk.mp3", "LOUD.MP3", "team/stand up (final).m4a", "Ünïcödé/会议.wav"]
NOT_MEDIA = ["photo.jpg", "notes.txt", "movie.mov", "archive.mp3.zip", "folder.mp3/", "Mixed.Mp3"]


class Deployed:
    """The dev stack's upload path in moto, and a poller that runs our handler on its batches."""

    def __init__(self, program, monkeypatch):
        self.path = stand_up_in_moto(program, REGION)
        self.bucket = program.outputs["inputBucket"]
        self.queue_name = program.named("upload-queue-queue").state["name"]
        for name, value in self.path.environment.items():
            monkeypatch.setenv(name, value)
        self.handler = fresh_import("handler")
        self.clock = VirtualClock(time.time())
        self.handler.clock = self.clock
        self.handler.transcribe.meta.events.register(
            "provide-client-params.transcribe.StartTranscriptionJob",
            lambda params, **_: assert_valid_request("transcribe", "StartTranscriptionJob", params),
        )
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.transcribe = boto3.client("transcribe", region_name=REGION)
        self.batches: list[tuple[dict, dict, set[str]]] = []

    def poll(self, seconds: float = 60) -> bool:
        invoke = lambda event: self.handler.lambda_handler(event, LambdaContext(self.clock, seconds))  # noqa: E731
        done = esm.poll_once(self.sqs, self.path.queue_url, self.path.queue_arn, REGION, invoke, self.path.batch_size)
        if done:
            self.batches.append(done)
        return done is not None

    def drain(self) -> None:
        while self.poll():
            pass

    def later(self) -> None:
        """The visibility timeouts the handler set run out (moto keeps real time)."""
        for message in sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[self.queue_name]._messages:
            message.visible_at = 0.0

    def records(self) -> list[dict]:
        """The S3 records of every message the handler received (S3's test event has none)."""
        return [
            record
            for event, _, _ in self.batches
            for message in event["Records"]
            for record in json.loads(message["body"]).get("Records", [])
        ]

    def jobs_by_media(self) -> dict[str, dict]:
        summaries = self.transcribe.list_transcription_jobs(MaxResults=100)["TranscriptionJobSummaries"]
        jobs = [self.transcribe.get_transcription_job(TranscriptionJobName=s["TranscriptionJobName"])["TranscriptionJob"] for s in summaries]
        return {job["Media"]["MediaFileUri"]: job for job in jobs}

    def left(self) -> tuple[int, int]:
        """(messages in the upload queue, in the dead-letter queue)."""
        counts = []
        for url in (self.path.queue_url, self.path.dead_letter_queue_url):
            attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            counts.append(int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"]))
        return counts[0], counts[1]


@pytest.fixture(scope="module")
def program():
    return run_program("dev")


@pytest.fixture
def deployed(aws_credentials, monkeypatch, program):
    with mock_aws():
        yield Deployed(program, monkeypatch)


def test_each_media_upload_becomes_one_job_and_other_uploads_send_nothing(deployed):
    for key in MEDIA + NOT_MEDIA:
        deployed.s3.put_object(Bucket=deployed.bucket, Key=key, Body=b"\x00" * 64)
    deployed.drain()

    keys = [record["s3"]["object"]["key"] for record in deployed.records()]
    assert len(keys) == len(set(keys)) == len(MEDIA)
    assert set(deployed.jobs_by_media()) == {f"s3://{deployed.bucket}/{key}" for key in MEDIA}
    assert all(failed == set() for _, _, failed in deployed.batches)
    assert deployed.left() == (0, 0)


def test_multipart_and_copied_uploads_start_jobs_too(deployed):
    s3, bucket = deployed.s3, deployed.bucket
    upload = s3.create_multipart_upload(Bucket=bucket, Key="long/interview.wav")
    parts = []
    for number in (1, 2):
        body = b"\x01" * (5 * 1024 * 1024 if number == 1 else 1024)
        etag = s3.upload_part(Bucket=bucket, Key="long/interview.wav", UploadId=upload["UploadId"], PartNumber=number, Body=body)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key="long/interview.wav", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
    s3.copy_object(Bucket=bucket, Key="copies/interview.wav", CopySource={"Bucket": bucket, "Key": "long/interview.wav"})
    deployed.drain()

    names = [record["eventName"] for record in deployed.records()]
    # moto reports the completed multipart upload twice (as a Put too), with the same eTag: the
    # second delivery maps to the same job name and counts as already started.
    assert "ObjectCreated:CompleteMultipartUpload" in names and "ObjectCreated:Copy" in names
    jobs = deployed.jobs_by_media()
    assert set(jobs) == {f"s3://{bucket}/long/interview.wav", f"s3://{bucket}/copies/interview.wav"}
    assert {job["MediaFormat"] for job in jobs.values()} == {"wav"}
    assert deployed.left() == (0, 0)


def test_a_repeated_delivery_of_moto_s_message_starts_no_second_job(deployed):
    deployed.s3.put_object(Bucket=deployed.bucket, Key="talk.mp3", Body=b"\x00" * 64)
    deployed.drain()
    body = next(m["body"] for event, _, _ in deployed.batches for m in event["Records"] if "Records" in json.loads(m["body"]))
    deployed.sqs.send_message(QueueUrl=deployed.path.queue_url, MessageBody=body)
    deployed.drain()
    assert len(deployed.jobs_by_media()) == 1 and deployed.left() == (0, 0)


def test_a_burst_under_throttling_and_a_full_transcribe_queue_loses_nothing(deployed, monkeypatch):
    """Transcribe pushes back on most calls: the job queue is full for the first 40 calls, then a
    random half of the calls are throttled. The handler holds each batch while it has time, hands
    back exactly what it could not start, and every upload ends as one job, with nothing in the
    dead-letter queue."""
    rng = random.Random(10)
    original = TranscribeBackend.start_transcription_job
    calls = []

    def start(self, transcription_job_name, *args, **kwargs):
        calls.append(transcription_job_name)
        if len(calls) <= 40:
            raise JsonRESTError("LimitExceededConcurrentJobException", "You have reached the maximum number of queued jobs.")
        if rng.random() < 0.5:
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        return original(self, transcription_job_name, *args, **kwargs)

    monkeypatch.setattr(TranscribeBackend, "start_transcription_job", start)
    keys = [f"burst/talk-{n:03}.mp3" for n in range(60)]
    for key in keys:
        deployed.s3.put_object(Bucket=deployed.bucket, Key=key, Body=b"\x00" * 64)

    rounds = 0
    while deployed.left()[0] and rounds < 50:
        deployed.later()
        deployed.drain()
        rounds += 1

    assert set(deployed.jobs_by_media()) == {f"s3://{deployed.bucket}/{key}" for key in keys}
    assert deployed.left() == (0, 0)
    handed_back = [failed for _, _, failed in deployed.batches if failed]
    assert handed_back, "some batches ran out of time and were handed back"
    for event, response, failed in deployed.batches:
        received = [m["messageId"] for m in event["Records"]]
        assert failed <= set(received)
        assert response == {"batchItemFailures": [{"itemIdentifier": i} for i in received if i in failed]}
