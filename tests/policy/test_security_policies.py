"""Each policy of the pack, on hand-made resources: it fires on a violating one, with a message
naming the resource and what is required, and stays quiet on a compliant one."""

import json

import pytest
from pulumi_policy.proxy import UnknownValueError

import bucket_rules
import function_rules
import monitoring_rules
import policy_resources as kinds
import security_policies as rules
from pack_harness import UNKNOWN, Resource, run_policy, stack_args

ACCOUNT = "123456789012"
POLICIES = {policy.name: policy for policy in rules.POLICIES}


def violations(policy_name: str, *resources: Resource):
    return run_policy(POLICIES[policy_name], list(resources))


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- s3-buckets-private-and-tls-only ------------------------------------------------------------

BUCKET_RULE = "s3-buckets-private-and-tls-only"


def bucket(name: str = "media-bucket") -> Resource:
    physical = f"{name}-1a2b3c4"
    return Resource(kinds.BUCKET, name, {"bucket": physical}, {"bucket": physical, "arn": f"arn:aws:s3:::{physical}"})


def public_access_block(of: Resource, **settings) -> Resource:
    inputs = {"bucket": of.outputs["bucket"], **dict.fromkeys(bucket_rules.PUBLIC_ACCESS_SETTINGS, True), **settings}
    return Resource(kinds.PUBLIC_ACCESS_BLOCK, f"{of.name}-public-access", inputs)


def tls_deny(of: Resource, **overrides) -> dict:
    arn = of.outputs["arn"]
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(overrides)
    return statement


def bucket_policy(of: Resource, *statements: dict) -> Resource:
    policy = document(*(statements or [tls_deny(of)]))
    return Resource(kinds.BUCKET_POLICY, f"{of.name}-tls-only", {"bucket": of.outputs["bucket"], "policy": policy})


def guarded(of: Resource) -> list[Resource]:
    return [of, public_access_block(of), bucket_policy(of)]


def test_a_bucket_with_its_public_access_block_and_tls_policy_passes():
    assert violations(BUCKET_RULE, *guarded(bucket())) == []


def test_a_bucket_without_a_public_access_block_is_reported():
    media = bucket()
    (violation,) = violations(BUCKET_RULE, media, bucket_policy(media))
    assert violation.urn == media.urn
    assert "'media-bucket' has no public access block" in violation.message


@pytest.mark.parametrize("setting", bucket_rules.PUBLIC_ACCESS_SETTINGS)
def test_a_public_access_block_with_one_setting_off_is_reported(setting):
    media = bucket()
    block = public_access_block(media, **{setting: False})
    (violation,) = violations(BUCKET_RULE, media, block, bucket_policy(media))
    assert violation.urn == block.urn
    assert f"leaves {setting} off" in violation.message


def test_a_bucket_without_a_bucket_policy_is_reported():
    media = bucket()
    (violation,) = violations(BUCKET_RULE, media, public_access_block(media))
    assert violation.urn == media.urn
    assert "'media-bucket' has no bucket policy that denies requests without TLS" in violation.message


@pytest.mark.parametrize(
    "overrides",
    [
        {"Effect": "Allow"},
        {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Condition": {}},
        {"Action": ["s3:GetObject"]},
        {"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}},
        {"Resource": "arn:aws:s3:::media-bucket-1a2b3c4"},
    ],
    ids=["allow", "when-tls", "no-condition", "one-action", "one-principal", "bucket-not-objects"],
)
def test_a_bucket_policy_that_lets_plain_http_through_is_reported(overrides):
    media = bucket()
    found = violations(BUCKET_RULE, media, public_access_block(media), bucket_policy(media, tls_deny(media, **overrides)))
    assert [v.urn for v in found] == [media.urn]


@pytest.mark.parametrize(
    "overrides",
    [
        {"Action": "*", "Principal": {"AWS": "*"}},
        {"Condition": {"Bool": {"aws:securetransport": False}}},
        {"Condition": {"BoolIfExists": {"aws:SecureTransport": ["false"]}}},
    ],
    ids=["any-action-any-aws-principal", "boolean-false", "bool-if-exists"],
)
def test_other_spellings_of_the_tls_deny_pass(overrides):
    media = bucket()
    statements = [{"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}]
    policy = bucket_policy(media, *statements, tls_deny(media, **overrides))
    assert violations(BUCKET_RULE, media, public_access_block(media), policy) == []


def test_the_guards_of_another_bucket_do_not_count():
    media, transcripts = bucket("media-bucket"), bucket("transcripts-bucket")
    found = violations(BUCKET_RULE, *guarded(media), transcripts)
    assert sorted(v.message.split(";")[0] for v in found) == [
        "S3 bucket 'transcripts-bucket' has no bucket policy that denies requests without TLS",
        "S3 bucket 'transcripts-bucket' has no public access block",
    ]


def test_at_preview_guards_are_matched_by_dependency_and_what_is_unknown_is_left_to_pulumi_up():
    """A new bucket's id and ARN are unknown at preview, so are the guards' `bucket` and the policy
    document; the engine still records which resource each guard's `bucket` came from."""
    resources, blocks = [], {}
    for name in ("media-bucket", "transcripts-bucket"):
        of = bucket(name)
        of.outputs["arn"] = UNKNOWN
        block, policy = public_access_block(of, bucket=UNKNOWN), bucket_policy(of)
        policy.inputs["policy"] = UNKNOWN
        for guard in (block, policy):
            guard.property_dependencies["bucket"] = [of.urn]
        resources += [of, block, policy]
        blocks[name] = block
    blocks["media-bucket"].inputs["restrictPublicBuckets"] = False

    found = []
    with pytest.raises(UnknownValueError) as unknown:
        bucket_rules.check_buckets_private_and_tls_only(stack_args(resources), lambda message, urn=None: found.append(urn))
    # What can be decided is reported; what cannot is named in the preview's advisory note.
    assert found == [blocks["media-bucket"].urn]
    assert "the bucket policy of bucket 'media-bucket'" in unknown.value.message
    assert "the bucket policy of bucket 'transcripts-bucket'" in unknown.value.message


# --- s3-buckets-log-access ----------------------------------------------------------------------

LOGGING_RULE = "s3-buckets-log-access"


def logging(source: Resource, target: Resource) -> Resource:
    inputs = {"bucket": source.outputs["bucket"], "targetBucket": target.outputs["bucket"], "targetPrefix": "media/"}
    return Resource(kinds.BUCKET_LOGGING, f"{source.name}-logging", inputs)


def test_a_bucket_logging_into_an_access_log_bucket_passes():
    media, logs = bucket("media-bucket"), bucket("access-logs-bucket")
    assert violations(LOGGING_RULE, media, logs, logging(media, logs)) == []


def test_a_bucket_without_access_logging_is_reported():
    media, transcripts, logs = bucket("media-bucket"), bucket("transcripts-bucket"), bucket("access-logs-bucket")
    (violation,) = violations(LOGGING_RULE, media, transcripts, logs, logging(media, logs))
    assert violation.urn == transcripts.urn
    assert "S3 bucket 'transcripts-bucket' has no server access logging" in violation.message


def test_at_preview_access_logging_is_matched_by_dependency():
    media, logs = bucket("media-bucket"), bucket("access-logs-bucket")
    link = logging(media, logs)
    link.inputs.update(bucket=UNKNOWN, targetBucket=UNKNOWN)
    link.property_dependencies.update(bucket=[media.urn], targetBucket=[logs.urn])
    assert violations(LOGGING_RULE, media, logs, link) == []
    link.property_dependencies.clear()
    with pytest.raises(UnknownValueError) as unknown:
        bucket_rules.check_buckets_log_access(stack_args([media, logs, link]), lambda message, urn=None: None)
    assert "the access logging of bucket 'media-bucket'" in unknown.value.message


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


# --- lambda-supported-python-runtime ------------------------------------------------------------

RUNTIME_RULE = "lambda-supported-python-runtime"


def function(name: str = "upload-handler-lambda", **inputs) -> Resource:
    physical = f"{name}-1c95aa2"
    outputs = {**inputs, "name": physical, "arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{physical}"}
    return Resource(kinds.FUNCTION, name, inputs, outputs)


@pytest.mark.parametrize("runtime", ["python3.9", "python3.8", "nodejs22.x", None])
def test_a_function_on_another_runtime_is_reported(runtime):
    (violation,) = violations(RUNTIME_RULE, function(runtime=runtime) if runtime else function(packageType="Image"))
    assert violation.message.startswith(f"Lambda function 'upload-handler-lambda' runs {runtime or 'no managed'}")
    assert "set runtime to one of python3.10, python3.11, python3.12, python3.13, python3.14" in violation.message


@pytest.mark.parametrize("runtime", function_rules.SUPPORTED_PYTHON_RUNTIMES)
def test_a_function_on_a_supported_python_runtime_passes(runtime):
    assert violations(RUNTIME_RULE, function(runtime=runtime)) == []


# --- lambda-failure-destination -----------------------------------------------------------------

DESTINATION_RULE = "lambda-failure-destination"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:failures-queue"


def invoke_config(function_name: str, destination_config: dict | None = None) -> Resource:
    destination_config = {"onFailure": {"destination": QUEUE_ARN}} if destination_config is None else destination_config
    inputs = {"functionName": function_name, "maximumRetryAttempts": 2, "destinationConfig": destination_config}
    return Resource(kinds.EVENT_INVOKE_CONFIG, "async", inputs)


def test_a_function_with_an_on_failure_destination_passes():
    upload = function(runtime="python3.14")
    by_name = invoke_config(upload.outputs["name"])
    by_arn = invoke_config(upload.outputs["arn"])
    assert violations(DESTINATION_RULE, upload, by_name) == []
    assert violations(DESTINATION_RULE, upload, by_arn) == []


def test_a_function_with_a_dead_letter_queue_passes():
    assert violations(DESTINATION_RULE, function(deadLetterConfig={"targetArn": QUEUE_ARN})) == []


@pytest.mark.parametrize(
    "others",
    [
        [],
        [invoke_config("upload-handler-lambda-1c95aa2", {"onSuccess": {"destination": QUEUE_ARN}})],
        [invoke_config("completion-handler-lambda-8852e39")],
    ],
    ids=["no-config", "on-success-only", "another-functions-config"],
)
def test_a_function_without_a_failure_destination_is_reported(others):
    upload = function()
    (violation,) = violations(DESTINATION_RULE, upload, *others)
    assert violation.urn == upload.urn
    assert violation.message.startswith("Lambda function 'upload-handler-lambda' has no failure destination;")


def queue(name: str, redrive: dict | None) -> Resource:
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"
    inputs = {"redrivePolicy": json.dumps(redrive)} if redrive is not None else {}
    return Resource(kinds.QUEUE, name, inputs, {**inputs, "arn": arn})


def source_mapping(function_name: str, queue_arn: str) -> Resource:
    inputs = {"functionName": function_name, "eventSourceArn": queue_arn, "functionResponseTypes": ["ReportBatchItemFailures"]}
    return Resource(kinds.EVENT_SOURCE_MAPPING, "upload-source", inputs)


def test_a_function_fed_by_a_queue_with_a_dead_letter_queue_passes():
    upload = function()
    uploads = queue("upload-queue-queue", {"deadLetterTargetArn": QUEUE_ARN, "maxReceiveCount": 1000})
    assert violations(DESTINATION_RULE, upload, uploads, source_mapping(upload.outputs["arn"], uploads.outputs["arn"])) == []


@pytest.mark.parametrize("redrive", [None, {"maxReceiveCount": 5}], ids=["no-redrive-policy", "no-target"])
def test_a_function_fed_by_a_queue_without_a_dead_letter_queue_is_reported(redrive):
    upload = function()
    uploads = queue("upload-queue-queue", redrive)
    (violation,) = violations(DESTINATION_RULE, upload, uploads, source_mapping(upload.outputs["arn"], uploads.outputs["arn"]))
    assert violation.urn == upload.urn and "feed it from an SQS queue with a redrive policy" in violation.message


def test_another_functions_queue_does_not_count():
    upload, other = function(), function("other-lambda")
    uploads = queue("upload-queue-queue", {"deadLetterTargetArn": QUEUE_ARN, "maxReceiveCount": 1000})
    (violation,) = violations(DESTINATION_RULE, upload, other, uploads, source_mapping(other.outputs["arn"], uploads.outputs["arn"]))
    assert violation.urn == upload.urn


def test_at_preview_the_invoke_config_is_matched_by_dependency():
    upload = function()
    config = invoke_config(UNKNOWN, {"onFailure": {"destination": UNKNOWN}})
    config.property_dependencies["functionName"] = [upload.urn]
    assert violations(DESTINATION_RULE, upload, config) == []


def test_at_preview_an_invoke_config_of_unknown_function_is_left_to_pulumi_up():
    with pytest.raises(UnknownValueError, match="which invoke configuration belongs to function 'upload-handler-lambda'"):
        violations(DESTINATION_RULE, function(), invoke_config(UNKNOWN))


# --- log-groups-have-retention ------------------------------------------------------------------

RETENTION_RULE = "log-groups-have-retention"


def log_group(**inputs) -> Resource:
    return Resource(kinds.LOG_GROUP, "upload-handler-logs", {"namePrefix": "/aws/lambda/upload-", **inputs})


@pytest.mark.parametrize("inputs", [{}, {"retentionInDays": 0}], ids=["unset", "zero"])
def test_a_log_group_without_retention_is_reported(inputs):
    (violation,) = violations(RETENTION_RULE, log_group(**inputs))
    assert violation.message.startswith("Log group 'upload-handler-logs' keeps its logs forever; set retention_in_days")


def test_a_log_group_with_retention_passes():
    assert violations(RETENTION_RULE, log_group(retentionInDays=7)) == []


# --- sqs-queues-have-alarms ---------------------------------------------------------------------

ALARM_RULE = "sqs-queues-have-alarms"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms"


def named_queue(name: str = "upload-queue-dead-letters") -> Resource:
    physical = f"{name}-1a2b3c4"
    return Resource(kinds.QUEUE, name, {}, {"name": physical, "arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{physical}"})


def queue_alarm(queue_name, metric: str = "ApproximateNumberOfMessagesVisible", **inputs) -> Resource:
    alarm = {"namespace": "AWS/SQS", "metricName": metric, "dimensions": {"QueueName": queue_name}, "alarmActions": [TOPIC_ARN]}
    return Resource(kinds.METRIC_ALARM, "observability-alarm", {**alarm, **inputs})


@pytest.mark.parametrize("metric", monitoring_rules.QUEUE_ALARM_METRICS)
def test_a_queue_with_a_depth_or_age_alarm_passes(metric):
    dead_letters = named_queue()
    assert violations(ALARM_RULE, dead_letters, queue_alarm(dead_letters.outputs["name"], metric)) == []


@pytest.mark.parametrize(
    "alarm",
    [
        None,
        queue_alarm("another-queue"),
        queue_alarm("upload-queue-dead-letters-1a2b3c4", "NumberOfMessagesSent"),
        queue_alarm("upload-queue-dead-letters-1a2b3c4", namespace="AWS/Lambda"),
        queue_alarm("upload-queue-dead-letters-1a2b3c4", alarmActions=[]),
    ],
    ids=["no-alarm", "another-queue", "not-depth-or-age", "not-sqs", "no-actions"],
)
def test_a_queue_without_a_depth_or_age_alarm_that_tells_someone_is_reported(alarm):
    dead_letters = named_queue()
    (violation,) = violations(ALARM_RULE, dead_letters, *([alarm] if alarm else []))
    assert violation.urn == dead_letters.urn
    assert violation.message.startswith("SQS queue 'upload-queue-dead-letters' has no alarm on its depth or age;")


def test_at_preview_the_alarm_is_matched_by_dependency():
    dead_letters = named_queue()
    alarm = queue_alarm(UNKNOWN, alarmActions=[UNKNOWN])
    alarm.property_dependencies["dimensions"] = [dead_letters.urn]
    assert violations(ALARM_RULE, dead_letters, alarm) == []


def test_at_preview_an_alarm_on_an_unknown_queue_is_left_to_pulumi_up():
    with pytest.raises(UnknownValueError, match="which alarm watches queue 'upload-queue-dead-letters'"):
        violations(ALARM_RULE, named_queue(), queue_alarm(UNKNOWN))


# --- every policy --------------------------------------------------------------------------------


def test_every_policy_ignores_the_resources_it_is_not_about():
    topic = Resource("aws:sns/topic:Topic", "completion-topic", {"kmsMasterKeyId": "alias/aws/sns"})
    for policy in rules.POLICIES:
        assert run_policy(policy, [topic]) == [], policy.name
