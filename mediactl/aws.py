"""AWS access: one session per run, its clients, and AWS errors told in one line.

The session is boto3's default chain, so the standard environment applies as it is: AWS_PROFILE,
AWS_DEFAULT_REGION, the credentials, and AWS_ENDPOINT_URL (a moto server or LocalStack). boto3
does not read AWS_REGION, which the AWS CLI v2 prefers; the tool does, as the CLI does.
"""

import os

from functools import cached_property

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

_RETRIES = {"mode": "standard", "max_attempts": 5}
_CONNECTIONS = 20
# A synchronous invocation lasts as long as the function runs: up to Lambda's 900 s timeout.
_INVOKE = Config(retries=_RETRIES, read_timeout=910)

CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "InvalidToken",
    "SignatureDoesNotMatch",
}
ACCESS_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "403", "Forbidden"}
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class Clients:
    """The clients of one run, all in one region (None: the environment's), made on first use."""

    def __init__(self, region: str | None = None):
        self.session = boto3.session.Session(region_name=region or os.environ.get("AWS_REGION") or None)

    @cached_property
    def s3(self):
        # Listings run on several threads at once (mediactl.listing).
        return self.session.client("s3", config=Config(retries=_RETRIES, max_pool_connections=_CONNECTIONS))

    @cached_property
    def transcribe(self):
        return self.session.client("transcribe", config=Config(retries=_RETRIES))

    @cached_property
    def sqs(self):
        return self.session.client("sqs", config=Config(retries=_RETRIES))

    @cached_property
    def dynamodb(self):
        return self.session.client("dynamodb", config=Config(retries=_RETRIES, max_pool_connections=_CONNECTIONS))

    @cached_property
    def lambda_(self):
        return self.session.client("lambda", config=_INVOKE)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def is_missing(error: ClientError) -> bool:
    return error_code(error) in MISSING_CODES


def is_aws_error(error: BaseException) -> bool:
    return isinstance(error, (ClientError, BotoCoreError, S3UploadFailedError))


def describe_aws_error(error: BaseException) -> str:
    """One line that says what AWS refused and, where it helps, what to do about it."""
    if isinstance(error, S3UploadFailedError) and isinstance(error.__context__, ClientError):
        error = error.__context__
    if isinstance(error, ClientError):
        return _one_line(_describe_client_error(error))
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws configure` / `aws sso login`"
    if isinstance(error, NoRegionError):
        return "no AWS region: set AWS_REGION (or a region in your AWS profile), or use --stack"
    if isinstance(error, EndpointConnectionError):
        return f"could not reach AWS at {error.kwargs.get('endpoint_url')}: check the network, AWS_REGION and AWS_ENDPOINT_URL"
    return _one_line(f"AWS: {error}")


def _describe_client_error(error: ClientError) -> str:
    code = error_code(error)
    details = error.response.get("Error", {})
    message = details.get("Message") or ""
    operation = error.operation_name
    if code in CREDENTIAL_CODES:
        return f"AWS refused the credentials ({code}: {message}): refresh them (e.g. `aws sso login`) or check AWS_PROFILE"
    if code in ACCESS_DENIED_CODES:
        return f"access denied to {operation}: the AWS identity in use lacks the permission ({message or code})"
    if code == "NoSuchBucket":
        bucket = details.get("BucketName")
        return f"no such bucket: {bucket}" if bucket else f"{operation} failed: the bucket does not exist"
    return f"{operation} failed: {code}: {message}" if message else f"{operation} failed: {code}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
