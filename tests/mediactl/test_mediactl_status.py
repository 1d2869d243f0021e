"""`status`: the health of a stack on one screen, from a moto server that keeps queues, alarms
and jobs; exit code 1 when an alarm fires or a failure or dead-letter queue holds messages."""

import time

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID

import esm
from lambda_env import fresh_import
from function.daily import DailyCounts, day_of
from function.ledger import Ledger
from mediactl import status
from mediactl_fakes import REGION, moto_job, start_job
from test_mediactl_redrive import failure_record, s3_event

DASHBOARD = f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards:name=transcribe-pipeline-dev"


@pytest.fixture
def cloudwatch():
    return boto3.client("cloudwatch")


@pytest.fixture
def monitored(pulumi, pipeline, sqs):
    """The dev stack with its upload queue, dead-letter queue and alarm topic, as outputs say."""
    uploads = sqs.create_queue(QueueName="dev-uploads")["QueueUrl"]
    dead_letters = sqs.create_queue(QueueName="dev-uploads-dead-letters")["QueueUrl"]
    topic = boto3.client("sns").create_topic(Name="dev-alarms")["TopicArn"]
    outputs = {**pipeline.outputs, "uploadQueueUrl": uploads, "deadLetterQueueUrl": dead_letters, "alarmTopicArn": topic, "dashboardUrl": DASHBOARD}
    pulumi.add("dev", outputs)
    return outputs


def rows(result) -> dict[str, str]:
    """Table row label -> the rest of the row."""
    found = {}
    for line in result.out.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) >= 2 and cells[0]:
            found[cells[0]] = " | ".join(cells[1:])
    return found


def put_alarm(cloudwatch, name: str, topic: str, state: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible", Statistic="Maximum",
        Dimensions=[{"Name": "QueueName", "Value": "dev-uploads-dead-letters"}], Period=300, EvaluationPeriods=1,
        Threshold=0, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], OKActions=[topic],
    )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"{name} is {state} for the test")


def dead_letter_through_the_upload_function(monkeypatch, sqs, outputs, body: str) -> None:
    """Put `body` in the upload queue and let the real upload function, talking to the moto server,
    move it to the dead-letter queue."""
    for name, value in {"OUTPUT_BUCKET": outputs["outputBucket"], "DEAD_LETTER_QUEUE_URL": outputs["deadLetterQueueUrl"],
                        "LEDGER_TABLE": outputs["ledgerTableName"]}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    handler = fresh_import("handler")
    sqs.send_message(QueueUrl=outputs["uploadQueueUrl"], MessageBody=body)
    arn = f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:dev-uploads"
    _, response, _ = esm.poll_once(sqs, outputs["uploadQueueUrl"], arn, REGION, lambda event: handler.lambda_handler(event, None))
    assert response == {"batchItemFailures": []}


def test_a_quiet_stack_is_healthy(run, monitored, pipeline):
    start_job(pipeline, "a.mp3", "etag-a")

    result = run("status", "--stack", "dev")

    assert result.code == 0, result.err
    table = rows(result)
    assert table["upload backlog"].startswith("0 waiting, 0 in hand")
    assert table["dead-letter queue"].startswith("0") and table["failure queue"].startswith("0")
    assert table["alarms in ALARM"].startswith("0")
    assert result.out.splitlines()[-2:] == [f"dashboard: {DASHBOARD}", "healthy"]


def test_the_stack_s_jobs_are_counted_by_status(run, monitored, pipeline, pulumi):
    names = [start_job(pipeline, f"talk-{n}.mp3", f"etag-{n}") for n in range(3)]
    moto_job(names[0]).status = "FAILED"
    moto_job(names[1]).status = "COMPLETED"
    moto_job(names[2]).status = "IN_PROGRESS"
    boto3.client("transcribe").start_transcription_job(
        TranscriptionJobName="another-stack-job", Media={"MediaFileUri": "s3://elsewhere/x.mp3"}, LanguageCode="en-US"
    )

    result = run("status", "--stack", "dev")

    assert rows(result)["Transcribe jobs"].startswith("QUEUED 0  IN_PROGRESS 1 | ended: see today")
    assert result.code == 0, "failed jobs alone are the failed-jobs alarm's to judge"

    # A stack from before the ledger: every job Transcribe keeps, listed.
    pulumi.add("dev", {k: v for k, v in monitored.items() if k != "ledgerTableName"})
    assert rows(run("status", "--stack", "dev"))["Transcribe jobs"].startswith("QUEUED 0  IN_PROGRESS 1  COMPLETED 1  FAILED 1")


def test_the_backlog_shows_its_depth(run, monitored, sqs):
    for n in range(3):
        sqs.send_message(QueueUrl=monitored["uploadQueueUrl"], MessageBody=f"upload {n}")

    result = run("status", "--stack", "dev")

    assert result.code == 0
    assert rows(result)["upload backlog"].startswith("3 waiting, 0 in hand | oldest: unknown")


def test_the_backlog_s_oldest_age_is_cloudwatch_s_latest(run, monitored, cloudwatch):
    # SQS publishes this metric itself; moto does not, so the test puts in the points it would.
    for seconds in (600, 754):
        cloudwatch.put_metric_data(Namespace="AWS/SQS", MetricData=[{
            "MetricName": "ApproximateAgeOfOldestMessage", "Dimensions": [{"Name": "QueueName", "Value": "dev-uploads"}],
            "Value": seconds, "Unit": "Seconds",
        }])  # fmt: skip

    result = run("status", "--stack", "dev")

    assert rows(result)["upload backlog"].endswith("oldest: 12m 34s")


def test_a_dead_lettered_upload_makes_the_stack_unhealthy_and_is_left_in_place(run, monitored, sqs, monkeypatch):
    dead_letter_through_the_upload_function(monkeypatch, sqs, monitored, "not an S3 notification")

    result = run("status", "--stack", "dev")

    assert result.code == 1
    assert rows(result)["dead-letter queue"] == "1 | BadMessage: 1"
    assert "unhealthy: 1 messages in the dead-letter queue" in result.out
    waiting = sqs.get_queue_attributes(QueueUrl=monitored["deadLetterQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"])
    assert waiting["Attributes"]["ApproximateNumberOfMessages"] == "1", "looked at, made visible again, not deleted"


def test_the_failure_queue_is_shown_by_kind_of_message(run, monitored, pipeline, sqs):
    for key in ("a.mp3", "b.mp3"):
        sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(s3_event(key), pipeline.function_name))
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody="{not json")

    result = run("status", "--stack", "dev")

    assert result.code == 1
    assert rows(result)["failure queue"] == "3 | function failed (RetriesExhausted): 2, unreadable: 1"


def test_only_the_stack_s_alarms_in_alarm_are_shown_and_make_it_unhealthy(run, monitored, cloudwatch):
    other_topic = boto3.client("sns").create_topic(Name="someone-else")["TopicArn"]
    put_alarm(cloudwatch, "dev-dead-letters", monitored["alarmTopicArn"], "ALARM")
    put_alarm(cloudwatch, "dev-backlog-age", monitored["alarmTopicArn"], "OK")
    put_alarm(cloudwatch, "other-stack-alarm", other_topic, "ALARM")

    result = run("status", "--stack", "dev")

    assert result.code == 1
    assert rows(result)["alarms in ALARM"] == "1 | dev-dead-letters: dev-dead-letters is ALARM for the test"
    assert "other-stack-alarm" not in result.out and "dev-backlog-age" not in result.out
    assert "unhealthy: alarm dev-dead-letters fires" in result.out


def test_watch_refreshes_until_interrupted_and_exits_with_the_last_verdict(run, monitored, pipeline, sqs, monkeypatch):
    waits = []

    def pause(seconds):
        waits.append(seconds)
        if len(waits) == 1:
            sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(s3_event("a.mp3"), pipeline.function_name))
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(status, "pause", pause)

    result = run("status", "--stack", "dev", "--watch", "5")

    assert waits == [5, 5]
    assert result.code == 1
    assert "unhealthy: 1 messages in the failure queue" in result.out


def test_a_stack_deployed_before_the_alarms_is_told_in_one_line(run, pulumi, pipeline):
    result = run("status", "--stack", "dev")
    assert result.code == 1
    assert result.err.strip() == (
        "mediactl: error: stack 'dev' has no alarmTopicArn, dashboardUrl output:"
        " `pulumi up` the current program first"
    )


def test_watch_takes_a_number_of_seconds(run, monitored):
    result = run("status", "--stack", "dev", "--watch", "soon")
    assert result.code == 2 and "'soon' is not a number of seconds" in result.err


def test_the_day_s_work_and_the_month_s_spend_come_from_the_ledger(run, monitored, monkeypatch):
    counts = DailyCounts(boto3.client("dynamodb"), monitored["ledgerTableName"])
    now = time.time()
    today, month = day_of(now), day_of(now)[:8]
    for _ in range(3):
        counts.count_start(today, 0)
    counts.count_end(today, completed=True, minutes=30.0)
    counts.count_end(today, completed=False, minutes=None)
    if today[8:] != "01":
        counts.count_end(month + "01", completed=True, minutes=70.0)
    counts.count_end("1999-12-31", completed=True, minutes=999.0)  # another month: not counted

    result = run("status", "--stack", "dev")
    table = rows(result)
    month_minutes = 30.0 + (70.0 if today[8:] != "01" else 0)
    assert table["today (UTC)"] == "3 started, 1 completed, 1 failed | 30.0 min transcribed, about $0.72"
    assert table["this month"] == f"{month_minutes:.1f} min transcribed | about ${month_minutes * 0.024:.2f} at $0.024/min"
    cheaper = rows(run("status", "--stack", "dev", "--price-per-minute", "0.01"))
    assert cheaper["today (UTC)"].endswith("about $0.30")
    assert run("status", "--stack", "dev", "--price-per-minute", "free").code == 2


def test_a_reached_daily_limit_says_when_the_uploads_start_again(run, monitored):
    counts = DailyCounts(boto3.client("dynamodb"), monitored["ledgerTableName"])
    counts.limit_reached(day_of(time.time()), 500, time.time())
    detail = rows(run("status", "--stack", "dev"))["daily limit"]
    assert detail.startswith("reached | 500 jobs started by ") and "uploads wait in the queue until 00:00 UTC (in " in detail


def test_waiting_uploads_are_counted_from_the_ledger(run, monitored, pipeline):
    ledger = Ledger(boto3.client("dynamodb"), monitored["ledgerTableName"])
    for n in range(3):
        entry, _ = ledger.record(pipeline.input_bucket, f"k{n}.mp3", f"e{n}", 10, pipeline.job_name_prefix, origin="s3")
    ledger.started(entry)
    assert rows(run("status", "--stack", "dev"))["uploads (ledger)"].startswith("2 queued, 1 started")
