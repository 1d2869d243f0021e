"""The monitoring rules of the pack (log retention, an alarm on every queue) on hand-made resources;
and every policy quiet on resources it is not about."""

import pytest
from pulumi_policy.proxy import UnknownValueError

import monitoring_rules
import policy_resources as kinds
import security_policies as rules
from hand_made import ACCOUNT, violations
from pack_harness import UNKNOWN, Resource, run_policy


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
