"""End to end, with the events moto itself emits.

The program's own declarations (bucket names, notification rules, function package and
environment, evaluated under Pulumi mocks) are applied to moto; real objects are uploaded (put,
multipart, copy); moto matches its notification rules and builds the S3 events. moto cannot run
a Lambda function without Docker, so where it would, our handler is called with exactly the
payload moto produced.
"""

import json

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from aws_model import assert_valid_request
from lambda_env import REGION, fresh_import
from program import run_program, s3_notification_configuration, stand_up_in_moto

MEDIA = ["talk.mp3", "LOUD.MP3", "team/stand up (final).m4a", "Ünïcödé/会议.wav"]
NOT_MEDIA = ["photo.jpg", "notes.txt", "movie.mov", "archive.mp3.zip", "folder.mp3/", "Mixed.Mp3"]


@pytest.fixture
def deployed(aws_credentials, monkeypatch):
    """The dev stack as declared, stood up in moto, with invocations routed to our handler."""
    program = run_program("dev")
    declared_function = program.named("upload-handler-lambda").inputs
    media_bucket = program.outputs["inputBucket"]

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        function_arn = stand_up_in_moto(program, REGION)
        s3.put_bucket_notification_configuration(
            Bucket=media_bucket,
            NotificationConfiguration=s3_notification_configuration(program, function_arn),
        )

        for name, value in declared_function["environment"]["variables"].items():
            monkeypatch.setenv(name, value)
        handler = fresh_import("handler")
        handler.transcribe.meta.events.register(
            "provide-client-params.transcribe.StartTranscriptionJob",
            lambda params, **_: assert_valid_request("transcribe", "StartTranscriptionJob", params),
        )
        invocations = []

        def run_our_handler(self, body, request_headers, response_headers):
            event = json.loads(body)
            invocations.append(event)
            return json.dumps(handler.lambda_handler(event, None))

        monkeypatch.setattr(LambdaFunction, "invoke", run_our_handler)
        yield {
            "s3": s3,
            "transcribe": boto3.client("transcribe", region_name=REGION),
            "media_bucket": media_bucket,
            "invocations": invocations,
        }


def jobs_by_media(transcribe) -> dict[str, dict]:
    summaries = transcribe.list_transcription_jobs(MaxResults=100)["TranscriptionJobSummaries"]
    jobs = [transcribe.get_transcription_job(TranscriptionJobName=s["TranscriptionJobName"])["TranscriptionJob"] for s in summaries]
    return {job["Media"]["MediaFileUri"]: job for job in jobs}


def test_each_media_upload_becomes_one_job_and_other_uploads_invoke_nothing(deployed):
    s3, bucket = deployed["s3"], deployed["media_bucket"]
    for key in MEDIA + NOT_MEDIA:
        s3.put_object(Bucket=bucket, Key=key, Body=b"\x00" * 64)

    events = deployed["invocations"]
    assert len(events) == len(MEDIA)
    invoked_keys = {record["s3"]["object"]["key"] for event in events for record in event["Records"]}
    assert len(invoked_keys) == len(MEDIA)
    jobs = jobs_by_media(deployed["transcribe"])
    assert set(jobs) == {f"s3://{bucket}/{key}" for key in MEDIA}


def test_multipart_and_copied_uploads_start_jobs_too(deployed):
    s3, bucket = deployed["s3"], deployed["media_bucket"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="long/interview.wav")
    parts = []
    for number in (1, 2):
        body = b"\x01" * (5 * 1024 * 1024 if number == 1 else 1024)
        etag = s3.upload_part(Bucket=bucket, Key="long/interview.wav", UploadId=upload["UploadId"], PartNumber=number, Body=body)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key="long/interview.wav", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
    s3.copy_object(Bucket=bucket, Key="copies/interview.wav", CopySource={"Bucket": bucket, "Key": "long/interview.wav"})

    names = [record["eventName"] for event in deployed["invocations"] for record in event["Records"]]
    # moto reports the completed multipart upload twice (as a Put too), with the same eTag: the
    # second delivery maps to the same job name and counts as already started.
    assert "ObjectCreated:CompleteMultipartUpload" in names and names[-1] == "ObjectCreated:Copy"
    jobs = jobs_by_media(deployed["transcribe"])
    assert set(jobs) == {f"s3://{bucket}/long/interview.wav", f"s3://{bucket}/copies/interview.wav"}
    assert {job["MediaFormat"] for job in jobs.values()} == {"wav"}


def test_a_repeated_delivery_of_moto_s_event_starts_no_second_job(deployed):
    s3, bucket = deployed["s3"], deployed["media_bucket"]
    s3.put_object(Bucket=bucket, Key="talk.mp3", Body=b"\x00" * 64)
    (event,) = deployed["invocations"]
    handler = fresh_import("handler")
    assert handler.lambda_handler(event, None) == {"duplicate": 1}
    assert len(jobs_by_media(deployed["transcribe"])) == 1
