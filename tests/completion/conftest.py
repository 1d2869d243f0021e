"""Fixtures for the completion function: moto S3, Transcribe, SNS and SQS; jobs started by our own
upload handler; the completion module imported anew inside the mock after its environment is set
(see moto_stack.py). `aws_credentials` comes from tests/conftest.py.
"""

import boto3
import pytest
from moto import mock_aws

from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET
from ledger_table import TABLE, create_ledger_table
from moto_stack import JOB_NAME_PREFIX, PREFIX, REGION, MotoStack


@pytest.fixture
def completion_env(monkeypatch):
    """Both functions' environment as the program sets it (same bucket, prefix and job prefix)."""
    env = {
        "OUTPUT_BUCKET": TRANSCRIPT_BUCKET,
        "OUTPUT_PREFIX": PREFIX,
        "JOB_NAME_PREFIX": JOB_NAME_PREFIX,
        "LANGUAGE_CODE": "en-US",
        "TOPIC_ARN": "",
        "METRICS_NAMESPACE": "transcribe-pipeline/test",
        "LEDGER_TABLE": TABLE,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("LANGUAGE_OPTIONS", "SUBTITLE_FORMATS", "MAX_SPEAKERS", "DATA_ACCESS_ROLE_ARN", "JOB_TAGS", "START_RATE", "DEAD_LETTER_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def stack(aws_credentials, completion_env, transcribe_reports_failure_reason):
    """moto with both buckets, a notification topic delivering to an SQS queue we can read."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (MEDIA_BUCKET, TRANSCRIPT_BUCKET):
            s3.create_bucket(Bucket=bucket)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name="transcription-notifications")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="notification-reader")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        upload_queue_url = sqs.create_queue(QueueName="uploads")["QueueUrl"]
        create_ledger_table(boto3.client("dynamodb", region_name=REGION))
        yield MotoStack(
            upload_queue_url=upload_queue_url,
            upload_queue_arn=sqs.get_queue_attributes(QueueUrl=upload_queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"],
            monkeypatch=completion_env,
            s3=s3,
            transcribe=boto3.client("transcribe", region_name=REGION),
            sqs=sqs,
            topic_arn=topic_arn,
            queue_url=queue_url,
        )
