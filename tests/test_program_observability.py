"""The stack's alarms, alarm topic and dashboard, as the program declares them for each stack:
every alarm and widget names the stack's real queues, functions and metrics."""

import json
import re

import pytest

from program import PROJECT, ROOT, STACKS, Program, run_program, stack_config

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


@pytest.fixture(scope="module", params=STACKS)
def program(request) -> Program:
    return run_program(request.param)


def names(program: Program) -> dict[str, str]:
    """The physical names of what the alarms and the dashboard are about."""
    return {
        "upload queue": program.named("upload-queue-queue").state["name"],
        "dead-letter queue": program.named("upload-queue-dead-letters").state["name"],
        "failure queue": program.named("failures-queue").state["name"],
        "upload function": program.named("upload-handler-lambda").state["name"],
        "completion function": program.named("completion-handler-lambda").state["name"],
        "reconcile function": program.named("reconciler-handler-lambda").state["name"],
    }


def setting(program: Program, key: str) -> int:
    return int(program.config[f"{PROJECT}:{key}"])


def emitted_metrics() -> set[str]:
    """The names the functions' code could count under (every capitalised string literal in it)."""
    source = "".join((ROOT / "function" / name).read_text() for name in ("handler.py", "completion.py", "reconcile.py"))
    return set(re.findall(r'"([A-Z][A-Za-z]+)"', source))


def test_the_stack_alarms_on_its_queues_functions_and_failed_jobs(program):
    n = names(program)
    namespace = f"{PROJECT}/{program.stack}"
    found = {
        (a.inputs["namespace"], a.inputs["metricName"], tuple(sorted(a.inputs["dimensions"].items())), a.inputs["statistic"])
        for a in program.of_type(ALARM)
    }
    assert found == {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", n["dead-letter queue"]),), "Maximum"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", n["failure queue"]),), "Maximum"),
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", n["upload queue"]),), "Maximum"),
        ("AWS/Lambda", "Errors", (("FunctionName", n["upload function"]),), "Sum"),
        ("AWS/Lambda", "Throttles", (("FunctionName", n["upload function"]),), "Sum"),
        ("AWS/Lambda", "Errors", (("FunctionName", n["completion function"]),), "Sum"),
        ("AWS/Lambda", "Throttles", (("FunctionName", n["completion function"]),), "Sum"),
        ("AWS/Lambda", "Errors", (("FunctionName", n["reconcile function"]),), "Sum"),
        ("AWS/Lambda", "Throttles", (("FunctionName", n["reconcile function"]),), "Sum"),
        (namespace, "JobsFailed", (("Stage", "completion"),), "Sum"),
        (namespace, "ProblemsFound", (("Stage", "reconcile"),), "Sum"),
    }


def test_thresholds_and_periods_come_from_the_settings(program):
    period = setting(program, "alarmPeriodMinutes") * 60
    for alarm in program.of_type(ALARM):
        inputs = alarm.inputs
        if inputs["metricName"] == "ProblemsFound":
            assert inputs["period"] == setting(program, "reconcileMinutes") * 60 and inputs["threshold"] == 0
            assert inputs["evaluationPeriods"] == inputs["datapointsToAlarm"] == 3, "found run after run"
            continue
        assert inputs["comparisonOperator"] == "GreaterThanThreshold" and inputs["evaluationPeriods"] == 1, alarm.name
        if inputs["metricName"] == "ApproximateAgeOfOldestMessage":
            assert inputs["threshold"] == setting(program, "backlogAlarmMinutes") * 60
        elif inputs["metricName"] == "JobsFailed":
            assert inputs["threshold"] == setting(program, "failedJobsPerHour") and inputs["period"] == 3600
            continue
        else:
            assert inputs["threshold"] == 0, "one message, error or throttle is enough"
        assert inputs["period"] == period, alarm.name


def test_dev_alarms_are_quieter_than_prod():
    dev, prod = stack_config("dev"), stack_config("prod")
    for key in ("backlogAlarmMinutes", "failedJobsPerHour"):
        assert int(dev[f"{PROJECT}:{key}"]) > int(prod[f"{PROJECT}:{key}"]), key
    tuned = run_program("prod", {"backlogAlarmMinutes": 15, "alarmPeriodMinutes": 1, "failedJobsPerHour": 0})
    assert tuned.named("observability-backlog-age").inputs["threshold"] == 900
    assert tuned.named("observability-dead-letters").inputs["period"] == 60
    assert tuned.named("observability-failed-jobs").inputs["threshold"] == 0


def test_every_alarm_announces_trouble_and_recovery_on_the_encrypted_alarm_topic(program):
    topic = program.named("observability-alarms")
    key = program.named("observability-alarm-key")
    assert topic.inputs["kmsMasterKeyId"] == key.state["arn"]
    assert key.inputs["enableKeyRotation"] is True
    statements = json.loads(key.inputs["policy"])["Statement"]
    (cloudwatch,) = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert not [a for s in statements for a in s["Action"] if a in ("*", "kms:*")]
    for alarm in program.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [topic.state["arn"]], alarm.name
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        # Each says where to read what to do: a page of docs/ and its section.
        assert "see docs/operating.md, Alarms" in alarm.inputs["alarmDescription"]
    assert "\n## Alarms\n" in (ROOT / "docs" / "operating.md").read_text()
    assert program.outputs["alarmTopicArn"] == topic.state["arn"]


def test_without_alarm_email_the_topic_has_no_subscription(program):
    assert program.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_alarm_email_subscribes_to_the_alarm_topic():
    told = run_program("prod", {"alarmEmail": "ops@example.com"})
    (subscription,) = told.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.role == "observability-alarm-email"
    assert subscription.inputs["endpoint"] == "ops@example.com" and subscription.inputs["protocol"] == "email"
    assert subscription.inputs["topic"] == told.named("observability-alarms").state["arn"]


def dashboard_metrics(program: Program) -> list[list]:
    (dashboard,) = program.of_type(DASHBOARD)
    body = json.loads(dashboard.inputs["dashboardBody"])
    return [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]


def test_the_dashboard_shows_the_stack_s_own_queues_functions_and_metrics(program):
    n = names(program)
    metrics = [m for m in dashboard_metrics(program) if isinstance(m[0], str)]
    referenced = {(m[0], m[1], m[3]) for m in metrics}
    for queue in ("upload queue", "dead-letter queue", "failure queue"):
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", n[queue]) in referenced, queue
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", n["upload queue"]) in referenced
    for function in ("upload function", "completion function"):
        for metric in ("Errors", "Throttles", "Duration"):
            assert ("AWS/Lambda", metric, n[function]) in referenced, (function, metric)
    stats = {m[4]["stat"] for m in metrics if m[1] == "Duration"}
    assert stats == {"p50", "p99"}
    namespace = f"{PROJECT}/{program.stack}"
    own = {m[1] for m in metrics if m[0] == namespace}
    assert {"UploadsReceived", "JobsStarted", "JobsCompleted", "JobsFailed", "TranscriptMinutes"} <= own
    assert {"UnrecordedSent", "CompletionsRecovered", "JobsLost", "Resent"} <= own, "the reconciler's row"
    assert own <= emitted_metrics(), "the dashboard shows only metrics the functions write"
    assert {m[3] for m in metrics if m[0] in ("AWS/SQS", "AWS/Lambda")} <= set(n.values())


def test_the_dashboard_is_the_stack_s_and_its_url_is_an_output(program):
    (dashboard,) = program.of_type(DASHBOARD)
    name = dashboard.inputs["dashboardName"]
    assert name == f"{PROJECT}-{program.stack}"
    region = program.outputs["region"]
    assert program.outputs["dashboardUrl"] == (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name={name}"
    )
    body = json.loads(dashboard.inputs["dashboardBody"])
    assert {widget["properties"]["region"] for widget in body["widgets"]} == {region}
    boxes = [(w["x"], w["y"]) for w in body["widgets"]]
    assert len(set(boxes)) == len(boxes), "no widget hides another"


def test_failed_jobs_alarm_watches_a_metric_the_completion_function_writes(program):
    assert program.named("observability-failed-jobs").inputs["metricName"] in emitted_metrics()


@pytest.mark.parametrize("minutes, runs", [(15, 3), (480, 3), (720, 2), (1440, 1)])
def test_the_reconciler_alarm_fits_its_runs_in_a_day(minutes, runs):
    alarm = run_program("dev", {"reconcileMinutes": minutes}).named("observability-reconcile-problems").inputs
    assert alarm["period"] == minutes * 60 and alarm["evaluationPeriods"] == runs
    assert alarm["period"] * alarm["evaluationPeriods"] <= 86400, "CloudWatch looks back a day at most"


def test_a_daily_limit_adds_an_alarm_on_the_upload_function_s_own_count():
    limited = run_program("prod", {"maxJobsPerDay": 500})
    alarm = limited.named("observability-daily-limit").inputs
    assert (alarm["metricName"], alarm["dimensions"], alarm["threshold"]) == ("DailyLimitReached", {"Stage": "upload"}, 0)
    assert alarm["metricName"] in emitted_metrics()
    assert limited.named("upload-handler-lambda").inputs["environment"]["variables"]["MAX_JOBS_PER_DAY"] == "500"
    assert "observability-daily-limit" not in {a.role for a in run_program("prod").of_type(ALARM)}
