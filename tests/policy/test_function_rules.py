"""The function rules of the pack (a supported Python runtime, a failure destination) on hand-made
resources."""

import json

import pytest
from pulumi_policy.proxy import UnknownValueError

import function_rules
import policy_resources as kinds
from hand_made import ACCOUNT, violations
from pack_harness import UNKNOWN, Resource


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
