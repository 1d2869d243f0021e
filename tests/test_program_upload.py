"""The upload function and its trigger as the program declares them for each stack file: the
package, runtime, sizing, environment and logs of the function, the upload queue, its dead-letter
queue and policy, the bucket notification and the event source mapping."""

import json
from pathlib import Path

from function import naming
from program import ACCOUNT_ID, PROJECT, ROOT, run_program
from stack_programs import bucket_arn, dev, prod, program  # noqa: F401 (fixtures)

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
