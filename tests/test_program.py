"""The Pulumi program, evaluated under mocks for each stack file: what it would deploy."""

import json

import pytest

from function import naming
from program import ACCOUNT_ID, PIPELINE, PROJECT, ROOT, run_program
from stack_programs import as_list, bucket_arn, dev, prod, program, statements  # noqa: F401 (fixtures)
from transcribe_pipeline.config import config_key
from transcribe_pipeline.pipeline import OUTPUTS as PIPELINE_OUTPUTS

BUCKET = "aws:s3/bucket:Bucket"
FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
TAGGABLE = (
    BUCKET, FUNCTION, POLICY, ROLE, "aws:sqs/queue:Queue", "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/eventRule:EventRule", "aws:sns/topic:Topic", "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:kms/key:Key",
)  # fmt: skip
OUTPUTS = {
    "inputBucket", "outputBucket", "functionName", "uploadQueueUrl", "deadLetterQueueUrl", "failureQueueUrl",
    "logGroupName", "region",
    "uploadCommand", "jobNamePrefix", "keyPrefix", "outputPrefix", "completionFunctionName",
    "completionLogGroupName", "accessLogBucket", "dashboardUrl", "alarmTopicArn", "ledgerTableName",
    "reconcileFunctionName",
}  # fmt: skip


BUCKETS = ["media", "transcripts", "access-logs"]


# --- storage -----------------------------------------------------------------------------------


@pytest.mark.parametrize("component", BUCKETS)
def test_buckets_block_every_kind_of_public_access(program, component):
    block = program.named(f"{component}-public-access")
    assert block.inputs["bucket"] == program.named(f"{component}-bucket").state["bucket"]
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[flag] is True, flag


@pytest.mark.parametrize("component", BUCKETS)
def test_buckets_deny_requests_without_tls(program, component):
    statements = json.loads(program.named(f"{component}-tls-only").inputs["policy"])["Statement"]
    (statement,) = [s for s in statements if s["Effect"] == "Deny"]
    arn = bucket_arn(program, component)
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [arn, f"{arn}/*"]


@pytest.mark.parametrize("component", BUCKETS)
def test_buckets_enforce_owner_encrypt_and_abort_abandoned_uploads(program, component):
    assert program.named(f"{component}-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (rule,) = program.named(f"{component}-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    lifecycle = program.named(f"{component}-lifecycle").inputs["rules"][0]
    assert lifecycle["status"] == "Enabled"
    assert lifecycle["abortIncompleteMultipartUpload"]["daysAfterInitiation"] >= 1


def test_bucket_guards_are_applied_to_their_own_bucket(program):
    for component in BUCKETS:
        bucket_urn = program.named(f"{component}-bucket").urn
        for guard in ("public-access", "ownership", "encryption", "lifecycle", "tls-only"):
            assert bucket_urn in program.named(f"{component}-{guard}").dependencies, guard


def test_the_bucket_policy_waits_for_the_public_access_block(program):
    for component in BUCKETS:
        block = program.named(f"{component}-public-access")
        assert block.urn in program.named(f"{component}-tls-only").dependencies


def test_buckets_are_named_by_pulumi_unless_configured(program):
    for bucket in program.of_type(BUCKET):
        assert "bucket" not in bucket.inputs
    named = run_program(program.stack, {"inputBucketName": "acme-media-in", "outputBucketName": "acme-text-out"})
    assert named.named("media-bucket").inputs["bucket"] == "acme-media-in"
    assert named.outputs["outputBucket"] == "acme-text-out"


def test_dev_deletes_buckets_with_their_data_on_destroy(dev):
    for bucket in dev.of_type(BUCKET):
        assert bucket.inputs["forceDestroy"] is True
        assert bucket.retain_on_delete is False
    for queue in ("failures-queue", "upload-queue-queue", "upload-queue-dead-letters"):
        assert dev.named(queue).retain_on_delete is False
    (ledger,) = dev.of_type("aws:dynamodb/table:Table")
    assert ledger.retain_on_delete is False


def test_prod_keeps_buckets_their_data_and_their_guards_on_destroy(prod):
    s3_resources = [r for r in prod.resources if r.type.startswith("aws:s3/bucket") and "Notification" not in r.type]
    assert len(s3_resources) == 3 * 6 + 2  # three buckets with their five guards, two of them logging
    for resource in s3_resources:
        assert resource.retain_on_delete is True, resource.name
    # So are the queues, with the uploads that wait in them to start or for a redrive.
    for queue in ("failures-queue", "upload-queue-queue", "upload-queue-dead-letters"):
        assert prod.named(queue).retain_on_delete is True
    # And the ledger, the account of every upload.
    (ledger,) = prod.of_type("aws:dynamodb/table:Table")
    assert ledger.retain_on_delete is True
    for bucket in prod.of_type(BUCKET):
        assert bucket.inputs["forceDestroy"] is False
    # The notification feeds a pipeline that destroy removes: it goes too.
    assert prod.named("upload-queue-notification").retain_on_delete is False


# What `pulumi destroy` keeps on a retaining stack, and how onDestroy's descriptions name it.
KEPT_ON_DESTROY = {
    "media-bucket": "media",
    "transcripts-bucket": "transcripts",
    "access-logs-bucket": "access-log",
    "upload-queue-queue": "upload queue",
    "upload-queue-dead-letters": "dead-letter queue",
    "failures-queue": "failure queue",
    "ledger-table": "ledger table",
}


def test_on_destroy_is_described_as_what_it_keeps(prod):
    import re

    import yaml

    kept = {r.name for r in prod.resources if r.retain_on_delete and r.type in (BUCKET, "aws:sqs/queue:Queue", "aws:dynamodb/table:Table")}
    assert kept == {f"{PIPELINE}-{role}" for role in KEPT_ON_DESTROY}
    yaml_description = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]["onDestroy"]["description"]
    package = ROOT / "transcribe_pipeline"
    field_doc = re.search(r'on_destroy: str = "retain"\n\s+"""(.*?)"""', (package / "settings.py").read_text(), re.S).group(1)
    argument_doc = re.search(r'on_destroy: NotRequired\[str\]\n\s+"""(.*?)"""', (package / "arguments.py").read_text(), re.S).group(1)
    for description in (yaml_description, field_doc, argument_doc):
        text = " ".join(description.split())
        for thing in KEPT_ON_DESTROY.values():
            assert thing in text, (thing, text)


# --- access ------------------------------------------------------------------------------------


def test_no_policy_grants_wildcard_actions_or_s3_on_every_resource(program):
    for policy in program.of_type(POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            for action in as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), (policy.name, action)
                if action.startswith("s3:"):
                    assert "*" not in as_list(statement["Resource"]), (policy.name, action)


def test_s3_grants_are_scoped_to_the_pipeline_buckets(program):
    media, transcripts = bucket_arn(program, "media"), bucket_arn(program, "transcripts")
    for policy in program.of_type(POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if any(a.startswith("s3:") for a in as_list(statement["Action"])):
                for resource in as_list(statement["Resource"]):
                    assert resource in (media, transcripts) or resource.startswith((f"{media}/", f"{transcripts}/"))


def test_only_our_own_policies_are_attached(program):
    our_policies = {p.state["arn"] for p in program.of_type(POLICY)}
    attachments = program.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachments
    for attachment in attachments:
        assert attachment.inputs["policyArn"] in our_policies
        assert "FullAccess" not in attachment.inputs["policyArn"]


def test_upload_function_may_do_exactly_what_its_code_calls(program):
    granted = {
        (action, resource)
        for statement in statements(program, "upload-handler-policy")
        for action in statement["Action"]
        for resource in statement["Resource"]
    }
    media, transcripts = bucket_arn(program, "media"), bucket_arn(program, "transcripts")
    log_group = program.named("upload-handler-logs").state["arn"]
    queue = program.named("upload-queue-queue").state["arn"]
    dead_letters = program.named("upload-queue-dead-letters").state["arn"]
    data_access_role = program.named("upload-transcribe-access-role").state["arn"]
    ledger = program.named("ledger-table").state["arn"]
    assert granted == {
        ("logs:CreateLogStream", f"{log_group}:*"),
        ("logs:PutLogEvents", f"{log_group}:*"),
        *(("sqs:" + action, queue) for action in
          ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl", "ChangeMessageVisibility")),
        ("sqs:SendMessage", dead_letters),
        ("sqs:SendMessage", queue),
        *(("dynamodb:" + action, ledger) for action in ("PutItem", "GetItem", "UpdateItem")),
        ("transcribe:StartTranscriptionJob", "*"),
        ("transcribe:TagResource", "*"),
        ("s3:GetObject", f"{media}/*"),
        ("s3:PutObject", f"{transcripts}/transcripts/*"),
        ("iam:PassRole", data_access_role),
    }
    (start,) = [s for s in statements(program, "upload-handler-policy") if "transcribe:StartTranscriptionJob" in s["Action"]]
    # The function starts jobs only with the bucket its environment names as their output.
    output_bucket = program.named("upload-handler-lambda").inputs["environment"]["variables"]["OUTPUT_BUCKET"]
    assert output_bucket == program.outputs["outputBucket"]
    assert start["Condition"] == {"StringEquals": {"transcribe:OutputBucketName": output_bucket}}
    (pass_role,) = [s for s in statements(program, "upload-handler-policy") if s["Action"] == ["iam:PassRole"]]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "transcribe.amazonaws.com"}}


def test_function_role_is_trusted_by_lambda_only(program):
    (statement,) = json.loads(program.named("upload-handler-role").inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"


def test_transcribe_data_access_role_reads_media_writes_transcripts_for_this_account_only(program):
    (trust,) = json.loads(program.named("upload-transcribe-access-role").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "transcribe.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    media, transcripts = bucket_arn(program, "media"), bucket_arn(program, "transcripts")
    granted = {(s["Action"][0], s["Resource"][0]) for s in statements(program, "upload-transcribe-access-policy")}
    assert granted == {("s3:GetObject", f"{media}/*"), ("s3:ListBucket", media), ("s3:PutObject", f"{transcripts}/transcripts/*")}
    env = program.named("upload-handler-lambda").inputs["environment"]["variables"]
    assert env["DATA_ACCESS_ROLE_ARN"] == program.named("upload-transcribe-access-role").state["arn"]


def test_without_job_queueing_there_is_no_data_access_role_to_pass(program):
    plain = run_program(program.stack, {"jobQueueing": False})
    assert not [r for r in plain.of_type(ROLE) if "transcribe-access" in r.name]
    assert "DATA_ACCESS_ROLE_ARN" not in plain.named("upload-handler-lambda").inputs["environment"]["variables"]
    actions = {a for s in statements(plain, "upload-handler-policy") for a in s["Action"]}
    assert "iam:PassRole" not in actions


def test_key_prefix_narrows_the_trigger_and_the_read_grant(program):
    scoped = run_program(program.stack, {"keyPrefix": "media/"})
    media = bucket_arn(scoped, "media")
    entries = scoped.named("upload-queue-notification").inputs["queues"]
    assert {entry["filterPrefix"] for entry in entries} == {"media/"}
    reads = [s for s in statements(scoped, "upload-handler-policy") if s["Action"] == ["s3:GetObject"]]
    assert reads[0]["Resource"] == [f"{media}/media/*"]


# --- tags, naming, outputs ---------------------------------------------------------------------


def test_every_taggable_resource_carries_project_and_stack_tags(program):
    tagged = [r for r in program.resources if r.type in TAGGABLE]
    assert len(tagged) >= 14
    for resource in tagged:
        assert resource.inputs.get("tags", {}).get("project") == PROJECT, resource.name
        assert resource.inputs["tags"]["stack"] == program.stack, resource.name
    if program.stack == "prod":
        assert all(r.inputs["tags"]["environment"] == "production" for r in tagged)


def test_children_are_named_from_their_component_and_parented_to_it(program):
    components = {r.urn: r for r in program.resources if not r.type.startswith("aws:")}
    for resource in program.resources:
        parent = components.get(resource.parent)
        if parent is not None:
            assert resource.name.startswith(f"{parent.name}-"), (resource.name, parent.name)
    assert all(components.get(r.parent) for r in program.resources if r.type.startswith("aws:"))


def test_stack_outputs_are_the_documented_ones(program):
    assert set(program.outputs) == OUTPUTS
    # Each one the component's output of the same name in snake case, and only the topic's optional.
    assert {config_key(key) for key in PIPELINE_OUTPUTS} == OUTPUTS | {"notificationTopicArn"}
    assert program.outputs["inputBucket"] == program.named("media-bucket").state["bucket"]
    assert program.outputs["outputBucket"] == program.named("transcripts-bucket").state["bucket"]
    assert program.outputs["functionName"] == program.named("upload-handler-lambda").state["name"]
    assert program.outputs["ledgerTableName"] == program.named("ledger-table").state["name"]
    assert program.outputs["reconcileFunctionName"] == program.named("reconciler-handler-lambda").state["name"]
    assert program.outputs["failureQueueUrl"] == program.named("failures-queue").state["url"]
    assert program.outputs["accessLogBucket"] == program.named("access-logs-bucket").state["bucket"]
    assert program.outputs["uploadQueueUrl"] == program.named("upload-queue-queue").state["url"]
    assert program.outputs["deadLetterQueueUrl"] == program.named("upload-queue-dead-letters").state["url"]
    assert program.outputs["jobNamePrefix"] == naming.job_name_prefix(PROJECT, program.stack)
    assert program.outputs["inputBucket"] in program.outputs["uploadCommand"]
