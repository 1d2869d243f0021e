"""The reconciler on MiniStack, invoked by hand with `{}` as a user would (`aws lambda invoke`):
what the pipeline missed there ends as transcripts. MiniStack does not run the schedule's rate
here, and its EventBridge invokes a function once, without retries: a completion that fails is
lost, which is what the reconciler is for.

The grace period before an object counts as missed is 15 minutes on a stack; the tests set the
function's GRACE_SECONDS to 1 so as not to wait."""

import time

from pipeline import EMPTY
from test_pipeline import jobs_of, wait_for_transcripts

from naming import text_key


def quick_reconciler(pipeline) -> None:
    pipeline.set_environment("reconcileFunctionName", pipeline.environment("reconcileFunctionName") | {"GRACE_SECONDS": "1"})


def test_files_in_the_bucket_before_the_notification_are_transcribed_once_the_reconciler_runs(drained):
    pipeline = drained
    s3 = pipeline.client("s3")
    notification = s3.get_bucket_notification_configuration(Bucket=pipeline.outputs["inputBucket"])
    notification.pop("ResponseMetadata", None)
    s3.put_bucket_notification_configuration(Bucket=pipeline.outputs["inputBucket"], NotificationConfiguration={})
    keys = ["archive/2019/interview.mp3", "archive/2019/panel.WAV"]
    for key in keys:
        pipeline.upload(key)
    s3.put_bucket_notification_configuration(Bucket=pipeline.outputs["inputBucket"], NotificationConfiguration=notification)
    pipeline.eventually(lambda: pipeline.queue_depth("uploadQueueUrl") == EMPTY, "S3's test message taken off the queue")
    assert pipeline.job_names() == []
    quick_reconciler(pipeline)
    time.sleep(1.5)

    report = pipeline.invoke("reconcileFunctionName", {})

    assert report["outcome"] == "reconciled" and report["unrecorded_sent"] == 2
    wait_for_transcripts(pipeline, *keys)
    assert all(len(jobs_of(pipeline, key)) == 1 for key in keys)
    again = pipeline.invoke("reconcileFunctionName", {})
    assert again["unrecorded_sent"] == 0 and len(pipeline.job_names()) == 2


def test_a_completion_that_failed_on_the_emulator_is_finished_by_the_reconciler(drained):
    pipeline = drained
    working = pipeline.environment("completionFunctionName")
    pipeline.set_environment("completionFunctionName", working | {"LEDGER_TABLE": ""})  # it cannot start
    pipeline.upload("lost-end.flac")
    (job,) = pipeline.eventually(
        lambda: [j for j in jobs_of(pipeline, "lost-end.flac") if j["TranscriptionJobStatus"] == "COMPLETED"], "a completed job"
    )
    time.sleep(1)  # EventBridge's one invocation fails; nothing retries it on the emulator
    text = text_key(pipeline.outputs["outputPrefix"], "lost-end.flac")
    assert text not in pipeline.transcript_keys()
    pipeline.set_environment("completionFunctionName", working)
    quick_reconciler(pipeline)
    # The reconciler looks at a started job 5 minutes after it started: make it due now.
    table = pipeline.outputs["ledgerTableName"]
    dynamodb = pipeline.client("dynamodb")
    (item,) = [i for i in dynamodb.scan(TableName=table)["Items"] if i.get("jobName", {}).get("S") == job["TranscriptionJobName"]]
    dynamodb.update_item(
        TableName=table, Key={"media": item["media"], "version": item["version"]},
        UpdateExpression="SET due = :now", ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
    )  # fmt: skip

    report = pipeline.invoke("reconcileFunctionName", {})

    assert report["completions_recovered"] == 1
    pipeline.eventually(lambda: text in pipeline.transcript_keys(), "the .txt, written by the completion function")
