"""AWS errors become one line on stderr and exit code 1, never a traceback."""

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.client import BaseClient
from botocore.exceptions import ClientError, EndpointConnectionError, NoRegionError

from mediactl.aws import describe_aws_error


def client_error(code: str, message: str, operation: str = "GetObject", **details) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message, **details}}, operation)


@pytest.fixture
def aws_refuses(monkeypatch):
    """Every AWS call answers with the ClientError given."""

    def refuse_with(error: ClientError):
        def refuse(client, operation_name, params):
            raise error

        monkeypatch.setattr(BaseClient, "_make_api_call", refuse)

    return refuse_with


def test_expired_credentials_are_one_line_with_what_to_do(run, aws_refuses, tmp_path):
    aws_refuses(client_error("ExpiredToken", "The provided token has expired."))

    result = run("fetch", "talk.mp3", "--bucket", "transcripts", "--out", tmp_path)

    assert result.code == 1
    assert result.err == (
        "mediactl: error: AWS refused the credentials (ExpiredToken: The provided token has expired.):"
        " refresh them (e.g. `aws sso login`) or check AWS_PROFILE\n"
    )


def test_access_denied_is_one_line(run, aws_refuses):
    aws_refuses(client_error("AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized", "ListTranscriptionJobs"))

    result = run("jobs", "--job-prefix", "x-")

    assert result.code == 1
    assert result.err.startswith("mediactl: error: access denied to ListTranscriptionJobs: the AWS identity in use lacks the permission")
    assert result.err.count("\n") == 1


def test_missing_credentials_are_one_line(run, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    result = run("jobs", "--job-prefix", "x-")

    assert result.code == 1
    assert result.err.startswith("mediactl: error: no AWS credentials found")


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (client_error("NoSuchBucket", "The specified bucket does not exist", BucketName="gone"), "no such bucket: gone"),
        (client_error("InvalidAccessKeyId", "The key\nis unknown"), "AWS refused the credentials (InvalidAccessKeyId: The key is unknown)"),
        (client_error("ThrottlingException", "Rate exceeded", "GetTranscriptionJob"), "GetTranscriptionJob failed: ThrottlingException: Rate exceeded"),
        (S3UploadFailedError("Failed to upload a to b/a: network"), "AWS: Failed to upload a to b/a: network"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"), "could not reach AWS at http://127.0.0.1:1/"),
        (NoRegionError(), "no AWS region: set AWS_REGION"),
    ],
)
def test_aws_errors_read_as_one_line(error, line):
    described = describe_aws_error(error)

    assert described.startswith(line)
    assert "\n" not in described


def test_a_failed_upload_names_the_error_behind_it():
    try:
        try:
            raise client_error("AccessDenied", "Access Denied", "PutObject")
        except ClientError as cause:
            raise S3UploadFailedError(f"Failed to upload a.mp3 to media/a.mp3: {cause}")
    except S3UploadFailedError as error:
        described = describe_aws_error(error)

    assert described == "access denied to PutObject: the AWS identity in use lacks the permission (Access Denied)"


def test_aws_region_alone_is_enough(run, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    result = run("jobs", "--job-prefix", "x-")

    assert result.code == 0, result.err


def test_no_region_at_all_is_one_line(run, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION")

    result = run("jobs", "--job-prefix", "x-")

    assert result.code == 1
    assert result.err == "mediactl: error: no AWS region: set AWS_REGION (or a region in your AWS profile), or use --stack\n"
