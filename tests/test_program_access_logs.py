"""S3 server access logging, as the program declares it for each stack: a private access-log
bucket of its own, each pipeline bucket logging into it under its own prefix, and a bucket policy
that lets only S3's logging service of this account write there. The declared policy and logging
are also applied to moto, which refuses logging that the target bucket's policy does not allow
(moto 5.2 reads the statements in order and fails on one whose Principal is "*", such as the
TLS-only deny, before it reaches the logging grant: the program lists the grants first)."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lambda_env import REGION
from program import ACCOUNT_ID, STACKS, Program, run_program

LOGGING = "aws:s3/bucketLogging:BucketLogging"
SOURCES = {"media": "media/", "transcripts": "transcripts/"}


@pytest.fixture(scope="module", params=STACKS)
def program(request) -> Program:
    return run_program(request.param)


def bucket(program: Program, component: str) -> dict:
    return program.named(f"{component}-bucket").state


def delivery_statements(program: Program) -> list[dict]:
    statements = json.loads(program.named("access-logs-tls-only").inputs["policy"])["Statement"]
    return [s for s in statements if s["Effect"] == "Allow"]


def test_each_pipeline_bucket_logs_into_the_access_log_bucket_under_its_own_prefix(program):
    logs = bucket(program, "access-logs")
    declared = {r.inputs["bucket"]: r.inputs for r in program.of_type(LOGGING)}
    assert set(declared) == {bucket(program, "media")["bucket"], bucket(program, "transcripts")["bucket"]}
    for component, prefix in SOURCES.items():
        logging = declared[bucket(program, component)["bucket"]]
        assert logging["targetBucket"] == logs["bucket"]
        assert logging["targetPrefix"] == prefix
    assert logs["bucket"] not in declared, "the access-log bucket must not log into itself"
    assert program.outputs["accessLogBucket"] == logs["bucket"]


def test_only_s3_logging_of_this_account_may_write_each_buckets_logs_under_its_prefix(program):
    logs_arn = bucket(program, "access-logs")["arn"]
    statements = delivery_statements(program)
    assert len(statements) == len(SOURCES)
    by_source = {s["Condition"]["ArnEquals"]["aws:SourceArn"]: s for s in statements}
    for component, prefix in SOURCES.items():
        statement = by_source[bucket(program, component)["arn"]]
        assert statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert statement["Action"] == "s3:PutObject"
        assert statement["Resource"] == f"{logs_arn}/{prefix}*"
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}


def test_logging_starts_after_the_policy_that_lets_s3_write_the_logs(program):
    policy = program.named("access-logs-tls-only")
    for logging in program.of_type(LOGGING):
        assert policy.urn in logging.dependencies, logging.name


def test_access_logs_expire_after_access_log_days(program):
    (_, expiry) = program.named("access-logs-lifecycle").inputs["rules"]
    assert expiry["expiration"] == {"days": 90}
    assert expiry["status"] == "Enabled"
    for component in SOURCES:
        rules = program.named(f"{component}-lifecycle").inputs["rules"]
        assert not [rule for rule in rules if "expiration" in rule], "media and transcripts never expire"


def test_access_log_days_sets_the_expiry():
    shorter = run_program("dev", {"accessLogDays": 30})
    assert shorter.named("access-logs-lifecycle").inputs["rules"][1]["expiration"] == {"days": 30}


def test_access_log_days_must_be_positive():
    from transcribe_pipeline.errors import SettingsError

    with pytest.raises(SettingsError, match=r"^accessLogDays is 0: keep the access logs 1 day or more$"):
        run_program("dev", {"accessLogDays": 0})


def test_dev_deletes_the_access_logs_and_prod_keeps_them_and_the_logging(program):
    retain = program.stack == "prod"
    logs = program.named("access-logs-bucket")
    assert logs.inputs["forceDestroy"] is not retain
    assert logs.retain_on_delete is retain
    for logging in program.of_type(LOGGING):
        assert logging.retain_on_delete is retain, logging.name


def test_moto_accepts_the_declared_logging_once_the_declared_policy_is_in_place(program, aws_credentials):
    logs = bucket(program, "access-logs")["bucket"]
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for name in (logs, *(bucket(program, c)["bucket"] for c in SOURCES)):
            s3.create_bucket(Bucket=name)
        declared = program.of_type(LOGGING)

        def enable(logging) -> None:
            s3.put_bucket_logging(
                Bucket=logging.inputs["bucket"],
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": logging.inputs["targetBucket"], "TargetPrefix": logging.inputs["targetPrefix"]}
                },
            )

        with pytest.raises(ClientError, match="InvalidTargetBucketForLogging"):
            enable(declared[0])  # not without the policy
        s3.put_bucket_policy(Bucket=logs, Policy=program.named("access-logs-tls-only").inputs["policy"])
        for logging in declared:
            enable(logging)
            enabled = s3.get_bucket_logging(Bucket=logging.inputs["bucket"])["LoggingEnabled"]
            assert enabled == {"TargetBucket": logs, "TargetPrefix": logging.inputs["targetPrefix"]}
