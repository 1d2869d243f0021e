"""The Pulumi program, evaluated under mocks for each stack file: what it would deploy."""

import dataclasses
import json
from pathlib import Path

import pytest

from function import naming
from program import ACCOUNT_ID, PIPELINE, PROJECT, ROOT, STACKS, Program, run_program
from transcribe_pipeline.arguments import SETTINGS_FIELDS, TranscriptionPipelineArgs
from transcribe_pipeline.config import config_key
from transcribe_pipeline.pipeline import OUTPUTS as PIPELINE_OUTPUTS
from transcribe_pipeline.settings import Settings

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


@pytest.fixture(scope="module", params=STACKS)
def program(request) -> Program:
    return run_program(request.param)


@pytest.fixture(scope="module")
def dev() -> Program:
    return run_program("dev")


@pytest.fixture(scope="module")
def prod() -> Program:
    return run_program("prod")


BUCKETS = ["media", "transcripts", "access-logs"]


def bucket_arn(program: Program, component: str) -> str:
    return program.named(f"{component}-bucket").state["arn"]


def statements(program: Program, policy_name: str) -> list[dict]:
    return json.loads(program.named(policy_name).inputs["policy"])["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


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


def test_prod_keeps_buckets_their_data_and_their_guards_on_destroy(prod):
    s3_resources = [r for r in prod.resources if r.type.startswith("aws:s3/bucket") and "Notification" not in r.type]
    assert len(s3_resources) == 3 * 6 + 2  # three buckets with their five guards, two of them logging
    for resource in s3_resources:
        assert resource.retain_on_delete is True, resource.name
    # So are the queues, with the uploads that wait in them to start or for a redrive.
    for queue in ("failures-queue", "upload-queue-queue", "upload-queue-dead-letters"):
        assert prod.named(queue).retain_on_delete is True
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
}


def test_on_destroy_is_described_as_what_it_keeps(prod):
    import re

    import yaml

    kept = {r.name for r in prod.resources if r.retain_on_delete and r.type in (BUCKET, "aws:sqs/queue:Queue")}
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


# --- the upload function -----------------------------------------------------------------------


def test_function_package_is_the_python_modules_of_function_dir(program):
    code = program.named("upload-handler-lambda").inputs["code"]
    shipped = set(code.assets)
    expected = {p.name for p in (ROOT / "function").glob("*.py")}
    assert shipped == expected
    assert "handler.py" in shipped and "naming.py" in shipped
    assert not [name for name in shipped if "__pycache__" in name or "test" in name]
    for name, asset in code.assets.items():
        assert Path(asset.path) == ROOT / "function" / name


def test_function_runs_a_current_python_on_arm64(program):
    function = program.named("upload-handler-lambda")
    major, minor = map(int, function.inputs["runtime"].removeprefix("python").split("."))
    assert (major, minor) >= (3, 13)
    assert function.inputs["architectures"] == ["arm64"]
    assert function.inputs["handler"] == "handler.lambda_handler"
    assert function.inputs["role"] == program.named("upload-handler-role").state["arn"]


def test_function_memory_and_timeout_come_from_settings(dev, prod):
    assert dev.named("upload-handler-lambda").inputs["memorySize"] == 128
    assert dev.named("upload-handler-lambda").inputs["timeout"] == 60
    assert prod.named("upload-handler-lambda").inputs["memorySize"] == 256
    tuned = run_program("dev", {"memorySize": 512, "timeout": 120})
    assert tuned.named("upload-handler-lambda").inputs["memorySize"] == 512
    assert tuned.named("upload-handler-lambda").inputs["timeout"] == 120


def test_function_environment_carries_the_settings(program):
    env = program.named("upload-handler-lambda").inputs["environment"]["variables"]
    assert env["OUTPUT_BUCKET"] == program.outputs["outputBucket"]
    assert env["OUTPUT_PREFIX"] == "transcripts/"
    assert env["LANGUAGE_CODE"] == "en-US"
    assert env["JOB_NAME_PREFIX"] == naming.job_name_prefix(PROJECT, program.stack)
    assert json.loads(env["JOB_TAGS"])["stack"] == program.stack
    expected_subtitles = {"dev": "srt", "prod": "srt,vtt"}[program.stack]
    assert env["SUBTITLE_FORMATS"] == expected_subtitles
    assert env["MAX_SPEAKERS"] == {"dev": "0", "prod": "10"}[program.stack]
    assert env["DEAD_LETTER_QUEUE_URL"] == program.outputs["deadLetterQueueUrl"]
    assert env["METRICS_NAMESPACE"] == f"{PROJECT}/{program.stack}"


def test_language_identification_is_passed_to_the_function():
    auto = run_program("dev", {"languageCode": "auto", "languageOptions": ["en-US", "es-US"]})
    env = auto.named("upload-handler-lambda").inputs["environment"]["variables"]
    assert env["LANGUAGE_CODE"] == "auto"
    assert env["LANGUAGE_OPTIONS"] == "en-US,es-US"


def test_function_logs_as_json_to_its_own_log_group_with_the_stack_retention(dev, prod):
    for program, days in ((dev, 7), (prod, 365)):
        log_group = program.named("upload-handler-logs")
        assert log_group.inputs["retentionInDays"] == days
        assert log_group.inputs["namePrefix"].startswith("/aws/lambda/")
        logging_config = program.named("upload-handler-lambda").inputs["loggingConfig"]
        assert logging_config == {"logFormat": "JSON", "logGroup": log_group.state["name"]}
        assert program.outputs["logGroupName"] == log_group.state["name"]


def test_the_upload_function_is_fed_by_the_queue_not_invoked_asynchronously(program):
    assert "upload-handler-async" not in {r.role for r in program.resources}
    assert not [r for r in program.of_type("aws:lambda/permission:Permission") if r.inputs["principal"] == "s3.amazonaws.com"]


def test_function_waits_for_the_role_permissions(program):
    attachment = program.named("upload-handler-policy-attachment")
    assert attachment.urn in program.named("upload-handler-lambda").dependencies
    # The mapping names the function, which waits for the policy that lets Lambda poll the queue.
    assert program.named("upload-handler-lambda").urn in program.named("upload-source").dependencies


def test_function_waits_until_transcribe_may_use_its_data_access_role(program):
    attachment = program.named("upload-transcribe-access-attachment")
    assert attachment.urn in program.named("upload-handler-lambda").dependencies


# --- the trigger -------------------------------------------------------------------------------


def test_uploads_wait_in_an_encrypted_queue_with_a_dead_letter_queue(program):
    queue = program.named("upload-queue-queue").inputs
    dead_letters = program.named("upload-queue-dead-letters")
    timeout = int(program.config[f"{PROJECT}:timeout"])
    for inputs in (queue, dead_letters.inputs):
        assert inputs["sqsManagedSseEnabled"] is True
        assert inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert queue["visibilityTimeoutSeconds"] >= 6 * timeout
    assert json.loads(queue["redrivePolicy"]) == {"deadLetterTargetArn": dead_letters.state["arn"], "maxReceiveCount": 1000}
    allow = json.loads(program.named("upload-queue-dead-letters-source").inputs["redriveAllowPolicy"])
    assert allow == {"redrivePermission": "byQueue", "sourceQueueArns": [program.named("upload-queue-queue").state["arn"]]}


def test_only_the_media_bucket_of_this_account_may_send_to_the_upload_queue(program):
    policy = program.named("upload-queue-policy")
    assert policy.inputs["queueUrl"] == program.outputs["uploadQueueUrl"]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == program.named("upload-queue-queue").state["arn"]
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": bucket_arn(program, "media")},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }


def test_notification_covers_each_media_extension_in_both_cases(program):
    notification = program.named("upload-queue-notification")
    assert notification.inputs["bucket"] == program.outputs["inputBucket"]
    assert "lambdaFunctions" not in notification.inputs
    entries = notification.inputs["queues"]
    suffixes = sorted(entry["filterSuffix"] for entry in entries)
    expected = sorted([f".{f}" for f in naming.SUPPORTED_FORMATS] + [f".{f.upper()}" for f in naming.SUPPORTED_FORMATS])
    assert suffixes == expected
    queue_arn = program.named("upload-queue-queue").state["arn"]
    for entry in entries:
        assert entry["events"] == ["s3:ObjectCreated:*"]
        assert entry["queueArn"] == queue_arn
        assert "filterPrefix" not in entry or entry["filterPrefix"] in ("", None)


def test_notification_is_written_after_the_queue_accepts_it(program):
    policy = program.named("upload-queue-policy")
    assert policy.urn in program.named("upload-queue-notification").dependencies


def test_the_queue_feeds_the_function_in_batches_at_the_configured_concurrency(program):
    mapping = program.named("upload-source").inputs
    assert mapping["eventSourceArn"] == program.named("upload-queue-queue").state["arn"]
    assert mapping["functionName"] == program.named("upload-handler-lambda").state["arn"]
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["batchSize"] == 10
    assert mapping["scalingConfig"] == {"maximumConcurrency": 2}


def test_start_concurrency_and_rate_set_the_mapping_and_each_instances_pace(program):
    tuned = run_program(program.stack, {"startConcurrency": 4, "startRate": 50})
    assert tuned.named("upload-source").inputs["scalingConfig"] == {"maximumConcurrency": 4}
    assert tuned.named("upload-handler-lambda").inputs["environment"]["variables"]["START_RATE"] == "12.5"
    default = program.named("upload-handler-lambda").inputs["environment"]["variables"]["START_RATE"]
    assert float(default) * 2 <= 25 - 1, "two instances keep under Transcribe's 25 per second, with room"


def test_only_the_media_bucket_triggers_anything(program):
    (notification,) = program.of_type("aws:s3/bucketNotification:BucketNotification")
    assert notification.inputs["bucket"] == program.outputs["inputBucket"]


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


# --- settings ----------------------------------------------------------------------------------

INVALID_SETTINGS = [
    ({"languageCode": "english"}, "languageCode is 'english'"),
    ({"languageCode": "en_us"}, "languageCode is 'en_us': use 'auto' or a Transcribe language code, such as en-US"),
    ({"languageCode": "de-AT"}, "such as de-DE or de-CH (all of them: https://docs.aws.amazon.com/transcribe/latest/dg/supported-languages.html)"),
    ({"languageCode": "auto", "languageOptions": ["en-US", "fr_FR"]}, "languageOptions has ['fr_FR']: each must be a Transcribe language code, such as fr-FR"),
    ({"languageCode": "auto", "languageOptions": ["en-US", "xx-XX"]}, "languageOptions has ['xx-XX']"),
    ({"languageOptions": ["en-US", "fr-FR"]}, "languageOptions is set but languageCode is not 'auto'"),
    ({"languageCode": "auto", "languageOptions": ["en-US"]}, "languageOptions has one language"),
    ({"logRetentionDays": 10}, "logRetentionDays is 10: CloudWatch accepts 1, 3, 5"),
    ({"memorySize": 64}, "memorySize is 64: Lambda allows 128 to 10240"),
    ({"memorySize": 20000}, "memorySize is 20000"),
    ({"timeout": 5}, "timeout is 5: use 10 to 900"),
    ({"timeout": 901}, "timeout is 901"),
    ({"subtitleFormats": ["srt", "txt"]}, "subtitleFormats has ['txt']: allowed are srt and vtt"),
    ({"maxSpeakers": 1}, "maxSpeakers is 1: use 0 to turn speaker labels off, or 2 to 30"),
    ({"maxSpeakers": 31}, "maxSpeakers is 31"),
    ({"keyPrefix": "/media"}, "keyPrefix is '/media'"),
    ({"outputPrefix": "my transcripts/"}, "outputPrefix is 'my transcripts/'"),
    ({"onDestroy": "keep"}, "onDestroy is 'keep': use 'retain'"),
    ({"inputBucketName": "Media_Bucket"}, "inputBucketName is 'Media_Bucket': an S3 bucket name has only lower-case letters, digits, '.' and '-'"),
    ({"inputBucketName": "ab"}, "inputBucketName is 'ab': an S3 bucket name has 3 to 63 characters, this one 2"),
    ({"outputBucketName": "a" * 64}, "an S3 bucket name has 3 to 63 characters, this one 64"),
    ({"inputBucketName": "-media"}, "an S3 bucket name begins and ends with a letter or digit"),
    ({"inputBucketName": "media."}, "an S3 bucket name begins and ends with a letter or digit"),
    ({"inputBucketName": "my..media"}, "an S3 bucket name has no two adjacent periods"),
    ({"inputBucketName": "192.168.5.4"}, "inputBucketName is '192.168.5.4': an S3 bucket name is not written as an IP address"),
    ({"inputBucketName": "xn--bucket"}, "S3 reserves bucket names starting with 'xn--'"),
    ({"inputBucketName": "sthree-media"}, "S3 reserves bucket names starting with 'sthree-'"),
    ({"inputBucketName": "amzn-s3-demo-media"}, "S3 reserves bucket names starting with 'amzn-s3-demo-'"),
    ({"inputBucketName": "media-s3alias"}, "S3 reserves bucket names ending with '-s3alias'"),
    ({"inputBucketName": "media--ol-s3"}, "S3 reserves bucket names ending with '--ol-s3'"),
    ({"inputBucketName": "media.mrap"}, "S3 reserves bucket names ending with '.mrap'"),
    ({"inputBucketName": "media--use1-az4--x-s3"}, "S3 reserves bucket names ending with '--x-s3'"),
    ({"outputBucketName": "text--table-s3"}, "outputBucketName is 'text--table-s3': S3 reserves bucket names ending with '--table-s3'"),
    ({"inputBucketName": "same-name", "outputBucketName": "same-name"}, "inputBucketName and outputBucketName are the same"),
    ({"notifyEmail": "not-an-address"}, "notifyEmail is 'not-an-address'"),
    ({"tags": {"aws:owner": "me"}}, "tags has the key 'aws:owner'"),
    ({"tags": {"team": "a<b"}}, "tags.team is 'a<b'"),
    ({"tags": {"stack": "other"}}, "tags sets 'stack'"),
    ({"tags": ["a", "b"]}, "tags is [\"a\", \"b\"]: it must be a map"),
    ({"tags": {f"team-{i}": "x" * 200 for i in range(10)}}, "tags take 2"),
    ({"tags": {f"t{i}": "x" for i in range(48)}}, "tags has 48 entries: 47 are yours to set"),
    ({"startConcurrency": 1}, "startConcurrency is 1: the upload queue's event source mapping allows 2 to 1000"),
    ({"startConcurrency": 1001}, "startConcurrency is 1001"),
    ({"startRate": 0}, "startRate is 0: use 1 to 1000 jobs per second"),
    ({"startConcurrency": 30}, "startConcurrency is 30 but startRate is 23"),
    ({"alarmEmail": "ops at example"}, "alarmEmail is 'ops at example'"),
    ({"alarmPeriodMinutes": 0}, "alarmPeriodMinutes is 0: use 1 to 1440"),
    ({"backlogAlarmMinutes": 30000}, "backlogAlarmMinutes is 30000: use 1 to 20160"),
    ({"failedJobsPerHour": -1}, "failedJobsPerHour is -1: use 0"),
]


@pytest.mark.parametrize("overrides, message", INVALID_SETTINGS, ids=[next(iter(o)) + "-" + m.split(":")[0][-12:] for o, m in INVALID_SETTINGS])
def test_invalid_setting_stops_the_preview_with_one_sentence(overrides, message):
    from transcribe_pipeline.errors import SettingsError

    with pytest.raises(SettingsError) as raised:
        run_program("dev", overrides)
    text = str(raised.value)
    assert message in text
    assert "\n" not in text


def test_a_bad_setting_is_a_pulumi_run_error_so_the_cli_prints_only_its_sentence():
    import pulumi

    from transcribe_pipeline.errors import SettingsError

    assert issubclass(SettingsError, pulumi.RunError)
    with pytest.raises(pulumi.RunError) as raised:
        run_program("dev", {"memorySize": 64})
    assert type(raised.value) is SettingsError


@pytest.mark.parametrize("name", ["media-in", "my.media.bucket", "a1b", "x" * 63, "192.168.5", "xn-bucket", "media-s3"])
def test_valid_bucket_names_pass(name):
    assert naming.bucket_name_problem(name) is None


def test_47_extra_tags_fit_on_every_resource_and_job():
    tags = {f"t{i}": "x" for i in range(47)}
    tagged = run_program("dev", {"tags": tags})
    job_tags = json.loads(tagged.named("upload-handler-lambda").inputs["environment"]["variables"]["JOB_TAGS"])
    assert len(job_tags) + 1 == 50  # the function adds media-key to each job


def test_project_file_declares_every_setting_the_program_reads_with_a_default_and_description():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key, declaration in declared.items():
        assert "default" in declaration and declaration.get("description"), key
    assert {config_key(argument) for argument in TranscriptionPipelineArgs.__annotations__} == set(declared)


def test_the_component_s_defaults_are_the_project_file_s():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    for argument, field in SETTINGS_FIELDS.items():
        default = declared[config_key(argument)]["default"]
        expected = tuple(default.items()) if isinstance(default, dict) else tuple(default) if isinstance(default, list) else default
        assert defaults[field] == expected, argument


def test_stack_files_hold_only_settings_the_project_declares():
    import yaml

    declared = set(yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"])
    for stack in STACKS:
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        for key in config:
            namespace, _, name = key.partition(":")
            assert namespace == "aws" or (namespace == PROJECT and name in declared), key


def test_the_project_default_output_prefix_is_the_functions_default():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert declared["outputPrefix"]["default"] == naming.DEFAULT_OUTPUT_PREFIX
