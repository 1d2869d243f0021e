"""The IAM rules of the pack (no broad managed policies, no wildcard grants, permissions and queue
and topic policies naming their source) on hand-made resources."""

import json

import pytest
from pulumi_policy.proxy import UnknownValueError

import policy_resources as kinds
from hand_made import ACCOUNT, bucket, bucket_policy, document, violations
from pack_harness import UNKNOWN, Resource


# --- iam-no-broad-managed-policies --------------------------------------------------------------

MANAGED_RULE = "iam-no-broad-managed-policies"


@pytest.mark.parametrize(
    "resource",
    [
        Resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attachment",
                 {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}),
        Resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attachment",
                 {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        Resource("aws:iam/policyAttachment:PolicyAttachment", "attachment",
                 {"roles": ["r"], "policyArn": "arn:aws:iam::aws:policy/AWSLambda_FullAccess"}),
        Resource("aws:iam/userPolicyAttachment:UserPolicyAttachment", "attachment",
                 {"user": "u", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/media-fullaccess"}),
        Resource(kinds.ROLE, "attachment", {"assumeRolePolicy": "{}",
                 "managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonTranscribeFullAccess"]}),
        Resource("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", "attachment",
                 {"roleName": "r", "policyArns": ["arn:aws:iam::aws:policy/AmazonSQSFullAccess"]}),
    ],
    ids=["s3-full-access", "administrator", "policy-attachment", "customer-managed-copy", "role", "exclusive"],
)  # fmt: skip
def test_attaching_a_full_access_or_administrator_policy_is_reported(resource):
    (violation,) = violations(MANAGED_RULE, resource)
    assert violation.message.startswith("'attachment' attaches the managed policy arn:aws:iam::")
    assert violation.urn == resource.urn


def test_attaching_a_scoped_managed_policy_passes():
    resources = [
        Resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ours",
                 {"role": "r", "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/upload-handler-policy-06f2ff3"}),
        Resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "basic",
                 {"role": "r", "policyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}),
    ]  # fmt: skip
    assert violations(MANAGED_RULE, *resources) == []


# --- iam-no-wildcard-grants ---------------------------------------------------------------------

GRANTS_RULE = "iam-no-wildcard-grants"
POLICY = "aws:iam/policy:Policy"


def allow(action, resource="arn:aws:s3:::media-bucket-1a2b3c4/*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (allow("*"), "statement 1 allows the wildcard action '*'"),
        (allow(["s3:GetObject", "s3:*"]), "statement 1 allows the wildcard action 's3:*'"),
        (allow("iam:*", "*", Sid="Admin"), "statement 'Admin' allows the wildcard action 'iam:*'"),
        (allow("s3:GetObject", "*"), "statement 1 allows s3:GetObject on every resource"),
        (allow(["S3:PutObject"], ["arn:aws:s3:::*"]), "statement 1 allows S3:PutObject on every resource"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x/*"}, "on every resource"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "allows every action except its NotAction"),
    ],
    ids=["star", "service-star", "sid", "s3-on-star", "s3-on-every-bucket", "not-resource", "not-action"],
)
def test_a_wildcard_grant_is_reported(statement, expected):
    (violation,) = violations(GRANTS_RULE, Resource(POLICY, "upload-handler-policy", {"policy": document(statement)}))
    assert violation.message.startswith("The 'policy' of 'upload-handler-policy': ")
    assert expected in violation.message


@pytest.mark.parametrize(
    "resource",
    [
        Resource(kinds.ROLE, "role", {"assumeRolePolicy": "{}", "inlinePolicies": [
            {"name": "inline", "policy": document(allow("s3:*"))}]}),
        Resource(kinds.ROLE, "role", {"assumeRolePolicy": document(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"})}),
        Resource("aws:iam/rolePolicy:RolePolicy", "role", {"role": "r", "policy": document(allow("*"))}),
        Resource("aws:sqs/queuePolicy:QueuePolicy", "role", {"queueUrl": "q", "policy": document(allow("sqs:*", "*"))}),
        Resource("aws:sns/topicPolicy:TopicPolicy", "role", {"arn": "t", "policy": document(allow("sns:*", "*"))}),
        Resource(POLICY, "role", {"policy": {"Version": "2012-10-17", "Statement": allow("s3:GetObject", "*")}}),
        Resource("aws:kms/key:Key", "key", {"policy": document(allow("kms:*", "*"))}),
    ],
    ids=["role-inline", "trust-policy", "role-policy", "queue-policy", "topic-policy", "document-as-object", "key-policy"],
)  # fmt: skip
def test_every_kind_of_policy_document_is_checked(resource):
    assert [v.urn for v in violations(GRANTS_RULE, resource)] == [resource.urn]


def test_a_document_that_is_not_json_is_reported():
    (violation,) = violations(GRANTS_RULE, Resource(POLICY, "broken", {"policy": "{not json"}))
    assert "is not a JSON policy document" in violation.message


def test_scoped_grants_and_deny_statements_pass():
    """The shapes our program uses: Transcribe has no resource-level permissions for these actions,
    so they go on "*"; S3 grants name key prefixes; the TLS-only bucket policy denies s3:*."""
    upload = document(
        allow(["transcribe:StartTranscriptionJob", "transcribe:TagResource"], ["*"]),
        allow(["s3:GetObject"], ["arn:aws:s3:::media-bucket-1a2b3c4/media/*"]),
        allow(["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/access"],
              Condition={"StringEquals": {"iam:PassedToService": "transcribe.amazonaws.com"}}),
    )  # fmt: skip
    resources = [
        Resource(POLICY, "upload-handler-policy", {"policy": upload}),
        bucket_policy(bucket()),
        Resource(kinds.ROLE, "role", {"assumeRolePolicy": document(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})}),
    ]  # fmt: skip
    assert violations(GRANTS_RULE, *resources) == []


def test_a_document_unknown_at_preview_is_left_to_pulumi_up():
    with pytest.raises(UnknownValueError):
        violations(GRANTS_RULE, Resource(POLICY, "upload-handler-policy", {"policy": UNKNOWN}))


# --- lambda-permission-names-its-source ---------------------------------------------------------

PERMISSION_RULE = "lambda-permission-names-its-source"


def permission(principal: str, **source) -> Resource:
    inputs = {"action": "lambda:InvokeFunction", "function": "f", "principal": principal, **source}
    return Resource(kinds.PERMISSION, "invoke-permission", inputs)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (permission("s3.amazonaws.com", sourceAccount=ACCOUNT), ["on behalf of any resource; set source_arn"]),
        (permission("s3.amazonaws.com", sourceArn="arn:aws:s3:::media"), ["for a bucket of any account"]),
        (permission("s3.amazonaws.com"), ["set source_arn", "set source_account"]),
        (permission("events.amazonaws.com"), ["lets events.amazonaws.com invoke the function on behalf of any"]),
        (permission("sns.amazonaws.com", sourceArn=""), ["set source_arn"]),
    ],
    ids=["s3-no-arn", "s3-no-account", "s3-neither", "events-no-arn", "sns-empty-arn"],
)
def test_a_service_permission_without_its_source_is_reported(resource, expected):
    found = violations(PERMISSION_RULE, resource)
    assert len(found) == len(expected)
    for violation, text in zip(found, expected):
        assert violation.message.startswith("Lambda permission 'invoke-permission' lets ")
        assert text in violation.message


@pytest.mark.parametrize(
    "resource",
    [
        permission("s3.amazonaws.com", sourceArn="arn:aws:s3:::media", sourceAccount=ACCOUNT),
        permission("events.amazonaws.com", sourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"),
        permission("s3.amazonaws.com", sourceArn=UNKNOWN, sourceAccount=UNKNOWN),
        permission(ACCOUNT),
    ],
    ids=["s3", "events", "unknown-at-preview", "not-a-service"],
)
def test_a_permission_that_names_its_source_passes(resource):
    assert violations(PERMISSION_RULE, resource) == []


# --- sqs-queue-policy-names-its-source ---------------------------------------------------------

QUEUE_POLICY_RULE = "sqs-queue-policy-names-its-source"
MEDIA_ARN = "arn:aws:s3:::media-bucket-1a2b3c4"


def queue_policy(*statements: dict) -> Resource:
    return Resource(kinds.QUEUE_POLICY, "upload-queue-policy", {"queueUrl": "https://sqs/q", "policy": document(*statements)})


def send_from(service: str, **condition) -> dict:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:::q"}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (send_from("s3.amazonaws.com", StringEquals={"aws:SourceAccount": ACCOUNT}), ["add an aws:SourceArn condition"]),
        (send_from("s3.amazonaws.com", ArnEquals={"aws:SourceArn": MEDIA_ARN}), ["add an aws:SourceAccount condition"]),
        (send_from("s3.amazonaws.com"), ["aws:SourceArn", "aws:SourceAccount"]),
        (send_from("events.amazonaws.com"), ["lets events.amazonaws.com send on behalf of any resource"]),
    ],
    ids=["s3-no-arn", "s3-no-account", "s3-neither", "events-no-arn"],
)
def test_a_queue_policy_letting_a_service_send_without_its_source_is_reported(statement, expected):
    found = violations(QUEUE_POLICY_RULE, queue_policy(statement))
    assert len(found) == len(expected)
    for violation, text in zip(found, expected):
        assert violation.message.startswith("Queue policy 'upload-queue-policy', statement 1, lets ")
        assert text in violation.message


@pytest.mark.parametrize(
    "statement",
    [
        send_from("s3.amazonaws.com", ArnLike={"aws:SourceArn": MEDIA_ARN}, StringEquals={"aws:SourceAccount": ACCOUNT}),
        send_from("events.amazonaws.com", ArnEquals={"aws:sourcearn": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"]}),
        {"Effect": "Deny", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sqs:SendMessage", "Resource": "*"},
    ],
    ids=["s3", "events-lower-case-key", "deny", "not-a-service"],
)
def test_a_queue_policy_that_names_its_source_passes(statement):
    assert violations(QUEUE_POLICY_RULE, queue_policy(statement)) == []


TOPIC_POLICY_RULE = "sns-topic-policy-names-its-source"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:observability-alarms"


def topic_policy(statement: dict) -> Resource:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return Resource(kinds.TOPIC_POLICY, "observability-alarms-policy", {"arn": TOPIC_ARN, "policy": policy})


def publish_from(service: str, **condition) -> dict:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sns:Publish", "Resource": TOPIC_ARN}
    return statement | ({"Condition": condition} if condition else {})


@pytest.mark.parametrize(
    "statement",
    [
        publish_from("budgets.amazonaws.com"),
        publish_from("budgets.amazonaws.com", ArnLike={"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:budget/*"}),
        publish_from("cloudwatch.amazonaws.com", StringEquals={"aws:SourceAccount": ACCOUNT}),
    ],
    ids=["no-condition", "no-account", "no-source"],
)
def test_a_topic_policy_letting_a_service_publish_without_source_and_account_is_reported(statement):
    (violation,) = violations(TOPIC_POLICY_RULE, topic_policy(statement))
    assert violation.message.startswith("Topic policy 'observability-alarms-policy', statement 1, lets ")
    assert "aws:SourceArn" in violation.message and "aws:SourceAccount" in violation.message


def test_a_topic_policy_that_names_source_and_account_passes():
    statement = publish_from(
        "budgets.amazonaws.com",
        StringEquals={"aws:SourceAccount": ACCOUNT}, ArnLike={"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:budget/*"},
    )  # fmt: skip
    assert violations(TOPIC_POLICY_RULE, topic_policy(statement)) == []
    owner = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sns:Publish", "Resource": TOPIC_ARN}
    assert violations(TOPIC_POLICY_RULE, topic_policy(owner)) == []
