"""The completion stage as the program declares it, for both stacks."""

import fnmatch
import json

import pytest

from function import naming
from program import ACCOUNT_ID, PROJECT, STACKS, Program, run_program


@pytest.fixture(scope="module", params=STACKS)
def program(request) -> Program:
    return run_program(request.param)


@pytest.fixture(scope="module")
def notifying() -> Program:
    return run_program("dev", {"notifyEmail": "team@example.com"})


def jobs_arn(program: Program) -> str:
    """The ARN of the stack's region's Transcribe jobs, up to the job name."""
    return f"arn:aws:transcribe:{program.config['aws:region']}:{ACCOUNT_ID}:transcription-job/"


def granted(program: Program, policy: str) -> set[tuple[str, str]]:
    statements = json.loads(program.named(policy).inputs["policy"])["Statement"]
    return {(action, resource) for s in statements for action in s["Action"] for resource in s["Resource"]}


def test_rule_matches_only_this_stacks_finished_jobs(program):
    pattern = json.loads(program.named("completion-rule").inputs["eventPattern"])
    assert pattern == {
        "source": ["aws.transcribe"],
        "detail-type": ["Transcribe Job State Change"],
        "detail": {
            "TranscriptionJobStatus": ["COMPLETED", "FAILED"],
            "TranscriptionJobName": [{"prefix": naming.job_name_prefix(PROJECT, program.stack)}],
        },
    }


def test_rule_targets_the_completion_function_and_keeps_undeliverable_events(program):
    target = program.named("completion-target")
    rule = program.named("completion-rule")
    assert target.inputs["rule"] == rule.state["name"]
    assert target.inputs["arn"] == program.named("completion-handler-lambda").state["arn"]
    assert target.inputs["deadLetterConfig"] == {"arn": program.named("failures-queue").state["arn"]}
    assert program.named("completion-invoke-permission").urn in target.dependencies


def test_only_this_rule_may_invoke_the_completion_function(program):
    permission = program.named("completion-invoke-permission")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["sourceArn"] == program.named("completion-rule").state["arn"]
    assert permission.inputs["function"] == program.outputs["completionFunctionName"]


def test_only_this_rule_may_drop_events_into_the_failure_queue(program):
    policy = program.named("failures-policy")
    assert policy.inputs["queueUrl"] == program.outputs["failureQueueUrl"]
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == program.named("failures-queue").state["arn"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": [program.named("completion-rule").state["arn"]]}}


def test_eventbridge_keeps_trying_for_a_day_before_giving_up_on_delivery(program):
    assert program.named("completion-target").inputs["retryPolicy"] == {
        "maximumEventAgeInSeconds": 24 * 3600,
        "maximumRetryAttempts": 185,
    }


def test_completion_function_runs_completion_py_with_the_same_failure_capture(program):
    function = program.named("completion-handler-lambda")
    assert function.inputs["handler"] == "completion.lambda_handler"
    assert function.inputs["architectures"] == ["arm64"]
    assert "completion.py" in function.inputs["code"].assets
    env = function.inputs["environment"]["variables"]
    assert env == {
        "OUTPUT_BUCKET": program.outputs["outputBucket"],
        "OUTPUT_PREFIX": "transcripts/",
        "JOB_NAME_PREFIX": naming.job_name_prefix(PROJECT, program.stack),
        "LEDGER_TABLE": program.outputs["ledgerTableName"],
        "METRICS_NAMESPACE": f"{PROJECT}/{program.stack}",
    }
    config = program.named("completion-handler-async")
    assert config.inputs["destinationConfig"] == {"onFailure": {"destination": program.named("failures-queue").state["arn"]}}
    assert config.inputs["maximumRetryAttempts"] == 2


def test_completion_role_reads_the_job_and_transcripts_and_writes_beside_them(program):
    transcripts = program.named("transcripts-bucket").state["arn"]
    log_group = program.named("completion-handler-logs").state["arn"]
    assert granted(program, "completion-handler-policy") == {
        ("logs:CreateLogStream", f"{log_group}:*"),
        ("logs:PutLogEvents", f"{log_group}:*"),
        ("sqs:SendMessage", program.named("failures-queue").state["arn"]),
        ("transcribe:GetTranscriptionJob", f"{jobs_arn(program)}{naming.job_name_prefix(PROJECT, program.stack)}*"),
        ("s3:GetObject", f"{transcripts}/transcripts/*"),
        ("s3:PutObject", f"{transcripts}/transcripts/*"),
        ("dynamodb:Query", program.named("ledger-table").state["arn"]),
        ("dynamodb:UpdateItem", program.named("ledger-table").state["arn"]),
    }


def test_completion_may_read_this_stacks_jobs_and_no_other_stacks(program):
    (jobs,) = [resource for action, resource in granted(program, "completion-handler-policy") if action.startswith("transcribe:")]
    ours = naming.job_name(naming.job_name_prefix(PROJECT, program.stack), "media-in", "talk.mp3", "0062E99A88DC407460")
    other_stack = naming.job_name(naming.job_name_prefix(PROJECT, "staging"), "media-in", "talk.mp3", "0062E99A88DC407460")
    assert fnmatch.fnmatchcase(f"{jobs_arn(program)}{ours}", jobs)
    assert not fnmatch.fnmatchcase(f"{jobs_arn(program)}{other_stack}", jobs)
    assert not fnmatch.fnmatchcase(f"arn:aws:transcribe:eu-west-1:{ACCOUNT_ID}:transcription-job/{ours}", jobs)


def completion_resources(program, typ: str) -> list:
    """The completion stage's own resources of a type (the stack's alarm topic is another's)."""
    return [r for r in program.of_type(typ) if r.role.startswith("completion-")]


def test_no_topic_and_no_topic_output_unless_an_email_is_configured(program):
    assert not completion_resources(program, "aws:sns/topic:Topic")
    assert "notificationTopicArn" not in program.outputs


def test_notify_email_adds_an_encrypted_topic_its_subscription_and_publish_right(notifying):
    (topic,) = completion_resources(notifying, "aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    (subscription,) = completion_resources(notifying, "aws:sns/topicSubscription:TopicSubscription")
    assert (subscription.inputs["topic"], subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
        topic.state["arn"], "email", "team@example.com"
    )
    assert notifying.outputs["notificationTopicArn"] == topic.state["arn"]
    env = notifying.named("completion-handler-lambda").inputs["environment"]["variables"]
    assert env["TOPIC_ARN"] == topic.state["arn"]
    assert ("sns:Publish", topic.state["arn"]) in granted(notifying, "completion-handler-policy")
