"""The rules about noticing trouble: every queue has an alarm on its depth or age, every log group
a retention period."""

from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from policy_resources import LOG_GROUP, METRIC_ALARM, QUEUE, UNKNOWN, NotKnownAtPreview, is_set, of_type, read

# The SQS metrics that tell a queue is filling up: messages waiting, and the age of the oldest.
QUEUE_ALARM_METRICS = ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")


def watches(alarm: PolicyResource, queue: PolicyResource) -> Any:
    """Whether the alarm watches the queue's depth or age and tells someone (True, False, or
    UNKNOWN when the queue it names is not known yet). The queue is matched by dependency, else by
    the QueueName dimension."""
    if read(alarm.props, "namespace") != "AWS/SQS" or read(alarm.props, "metricName") not in QUEUE_ALARM_METRICS:
        return False
    if not is_set(read(alarm.props, "alarmActions")):
        return False
    dependencies = alarm.property_dependencies.get("dimensions") or []
    if any(dependency.urn == queue.urn for dependency in dependencies):
        return True
    named, name = read(alarm.props, "dimensions", "QueueName"), read(queue.props, "name")
    if named is UNKNOWN or name is UNKNOWN:
        return False if dependencies else UNKNOWN
    return named is not None and named == name


def check_queues_have_alarms(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    alarms = of_type(args.resources, METRIC_ALARM)
    pending: list[str] = []
    for queue in of_type(args.resources, QUEUE):
        verdicts = [watches(alarm, queue) for alarm in alarms]
        if True in verdicts:
            continue
        if UNKNOWN in verdicts:
            pending.append(f"which alarm watches queue '{queue.name}'")
            continue
        report_violation(
            f"SQS queue '{queue.name}' has no alarm on its depth or age; add an aws.cloudwatch.MetricAlarm on"
            f" AWS/SQS {' or '.join(QUEUE_ALARM_METRICS)} with the dimension QueueName set to the queue's name"
            " and alarm_actions that tell someone, so that messages piling up there are noticed.",
            queue.urn,
        )
    if pending:
        raise NotKnownAtPreview(pending)


def check_log_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != LOG_GROUP:
        return
    days = args.props.get("retentionInDays")
    if not days or days <= 0:
        report_violation(
            f"Log group '{args.name}' keeps its logs forever; set retention_in_days to a value CloudWatch"
            " accepts (1, 3, 5, 7, 14, 30, ... 3653)."
        )
