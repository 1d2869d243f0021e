"""AWS access: one session per run, its clients, and AWS errors told in one line.

The session is boto3's default chain, so the standard environment applies as it is: AWS_PROFILE,
AWS_DEFAULT_REGION, the credentials, and AWS_ENDPOINT_URL (a moto server or LocalStack). boto3
does not read AWS_REGION, which the AWS CLI v2 prefers; the tool does, as the CLI does.
"""

import os
import re
from datetime import datetime
from functools import cached_property

import boto3
import botocore.session
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)
from botocore.utils import parse_timestamp

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

# How S3 writes every LastModified of a listing (S3 API Reference, ListObjectsV2: ISO 8601, UTC).
_ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def read_timestamp(value):
    """botocore's timestamp parser, with a fast path for S3's `2019-10-12T17:50:30.000Z`.

    botocore reads every timestamp with dateutil's general parser, which took over half of the
    CPU of parsing a ListObjectsV2 page (`python -m bench audit`): a million media objects and
    their transcripts are four million of them. `datetime.fromisoformat` reads that form exactly,
    to the same instant, in UTC; anything else (epoch seconds in JSON, HTTP dates in headers)
    goes to botocore's own parser as before."""
    if isinstance(value, str) and _ISO_UTC.fullmatch(value):
        return datetime.fromisoformat(value)
    return parse_timestamp(value)


class Clients:
    """The clients of one run, all in one region (None: the environment's), made on first use."""

    def __init__(self, region: str | None = None):
        core = botocore.session.get_session()
        # The parsers of this session's clients read timestamps with read_timestamp (botocore's
        # ResponseParserFactory.set_parser_defaults, as the AWS CLI sets its own).
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=read_timestamp)
        self.session = boto3.session.Session(botocore_session=core, region_name=region or os.environ.get("AWS_REGION") or None)

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
