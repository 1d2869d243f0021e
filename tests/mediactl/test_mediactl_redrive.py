"""`redrive`: events kept in the failure queue go back to their function, one by one."""

import json

from mediactl_fakes import REGION, FunctionFailed
from moto.core import DEFAULT_ACCOUNT_ID


def s3_event(key: str) -> dict:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "dev-media", "arn": "arn:aws:s3:::dev-media"},
                    "object": {"key": key.replace(" ", "+"), "size": 1024, "eTag": "0123abcd", "sequencer": "0065F1A2B3C4D5E6F7"},
                },
            }
        ]
    }


def failure_record(event: dict, function_name: str, request_id: str = "req-1") -> str:
    """What Lambda's on-failure destination puts in the queue for an asynchronous invocation."""
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-03-01T09:00:00.000Z",
            "requestContext": {
                "requestId": request_id,
                "functionArn": f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{function_name}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "1 of 1 uploads not started", "errorType": "UploadsNotStarted"},
        }
    )


def queued_bodies(sqs, queue_url: str) -> list[str]:
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return sorted(message["Body"] for message in received.get("Messages", []))


def test_redrive_invokes_the_function_with_each_event_and_deletes_the_messages(run, pipeline, functions, sqs):
    events = [s3_event("a.mp3"), s3_event("team/b c.mp3")]
    for event in events:
        sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(event, pipeline.function_name))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert sorted(functions.calls, key=str) == sorted(((pipeline.function_name, event) for event in events), key=str)
    assert queued_bodies(sqs, pipeline.queue_url) == []
    assert result.out == "redriven: 2, failed again: 0 (kept), unreadable: 0 (kept)\n"


def test_a_message_whose_invocation_fails_again_stays_in_the_queue(run, pipeline, functions, sqs):
    def fail_for_b(name, event):
        if "b.mp3" in json.dumps(event):
            raise FunctionFailed("1 of 1 uploads not started")
        return {"started": 1}

    functions.behaviour = fail_for_b
    kept = failure_record(s3_event("b.mp3"), pipeline.function_name, "req-b")
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(s3_event("a.mp3"), pipeline.function_name))
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=kept)

    result = run("redrive", "--stack", "dev")

    assert result.code == 1
    assert result.out == "redriven: 1, failed again: 1 (kept), unreadable: 0 (kept)\n"
    assert "mediactl: error: kept: b.mp3: the function failed again (Unhandled): '1 of 1 uploads not started'" in result.err
    # Kept messages are visible again at once, for the next attempt.
    assert queued_bodies(sqs, pipeline.queue_url) == [kept]


def test_messages_that_are_not_failure_records_are_kept_and_counted(run, pipeline, functions, sqs):
    for body in ("not json", json.dumps({"Records": []}), json.dumps({"requestContext": {}})):
        sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=body)

    result = run("redrive", "--stack", "dev")

    assert result.code == 1
    assert result.out == "redriven: 0, failed again: 0 (kept), unreadable: 3 (kept)\n"
    assert functions.calls == []
    assert len(queued_bodies(sqs, pipeline.queue_url)) == 3


def test_redrive_invokes_the_function_named_in_the_record(run, pipeline, functions, sqs):
    event = {"detail-type": "Transcribe Job State Change", "detail": {"TranscriptionJobName": "job-1"}}
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(event, "dev-completion"))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert functions.calls == [("dev-completion", event)]


def test_a_record_without_a_function_arn_goes_to_the_stack_function(run, pipeline, functions, sqs):
    record = json.loads(failure_record(s3_event("a.mp3"), pipeline.function_name))
    del record["requestContext"]["functionArn"]
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(record))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert [name for name, _ in functions.calls] == [pipeline.function_name]


def test_a_function_that_no_longer_exists_keeps_the_message(run, pipeline, functions, sqs):
    body = failure_record(s3_event("a.mp3"), "deleted-function")
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=body)

    result = run("redrive", "--stack", "dev")

    assert result.code == 1
    assert "kept: a.mp3: Invoke failed: ResourceNotFoundException" in result.err
    assert queued_bodies(sqs, pipeline.queue_url) == [body]


def job_state_change(job_name: str) -> dict:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Transcribe Job State Change",
        "source": "aws.transcribe",
        "account": DEFAULT_ACCOUNT_ID,
        "time": "2026-03-01T09:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {"TranscriptionJobName": job_name, "TranscriptionJobStatus": "COMPLETED"},
    }


def test_events_eventbridge_could_not_deliver_go_to_their_target(run, pipeline, functions, sqs):
    """EventBridge's dead-letter messages hold the event itself, the target in TARGET_ARN."""
    event = job_state_change("job-1")
    target = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:dev-completion"
    sqs.send_message(
        QueueUrl=pipeline.queue_url,
        MessageBody=json.dumps(event),
        MessageAttributes={
            "RULE_ARN": {"DataType": "String", "StringValue": f"arn:aws:events:{REGION}:{DEFAULT_ACCOUNT_ID}:rule/completion"},
            "TARGET_ARN": {"DataType": "String", "StringValue": target},
            "ERROR_CODE": {"DataType": "String", "StringValue": "SDK_CLIENT_ERROR"},
        },
    )

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert functions.calls == [("dev-completion", event)]
    assert queued_bodies(sqs, pipeline.queue_url) == []


def test_an_undelivered_event_without_its_target_goes_to_the_stack_completion_function(run, pipeline, functions, sqs):
    event = job_state_change("job-2")
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(event))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert functions.calls == [(pipeline.outputs["completionFunctionName"], event)]


def test_an_empty_queue_redrives_nothing(run, pipeline, functions):
    result = run("redrive", "--stack", "dev")

    assert result.code == 0
    assert result.out == "redriven: 0, failed again: 0 (kept), unreadable: 0 (kept)\n"
