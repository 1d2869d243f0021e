"""`redrive`, the failure queue: each event kept there goes back where it belongs, one by one."""

import io
import json
import sys
from pathlib import Path

import pytest
from moto.core import DEFAULT_ACCOUNT_ID

from hints import assert_run_as_printed
from mediactl_fakes import REGION, FunctionFailed, deploy, queue_bodies

EMPTY_DLQ = "dead-letter queue: empty\n"
SAMPLES = Path(__file__).parents[1] / "samples"


@pytest.fixture
def old_pipeline(pulumi):
    """A stack from before the upload queue: S3 invoked the upload function directly."""
    return deploy(pulumi, "old", queued=False)


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
    return queue_bodies(queue_url)


def failed_uploads(sqs, pipeline) -> list[dict]:
    """Two S3 events the upload function of the direct S3 -> Lambda design failed."""
    events = [s3_event("a.mp3"), s3_event("team/b c.mp3")]
    for event in events:
        sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(event, pipeline.function_name))
    return events


def test_old_upload_failures_go_to_the_upload_queue_as_the_s3_event_not_to_the_function(run, pipeline, functions, sqs):
    events = failed_uploads(sqs, pipeline)

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert functions.calls == []
    assert [json.loads(body) for body in queued_bodies(sqs, pipeline.upload_queue_url)] == sorted(events, key=json.dumps)
    assert queued_bodies(sqs, pipeline.queue_url) == []
    assert result.out == EMPTY_DLQ + (
        "failure queue: redriven: 2 (2 sent to the upload queue), failed again: 0 (kept), unreadable: 0 (kept)\n"
    )


def test_on_a_stack_without_an_upload_queue_redrive_invokes_the_function_with_each_event(run, old_pipeline, functions, sqs):
    events = failed_uploads(sqs, old_pipeline)

    result = run("redrive", "--stack", "old")

    assert result.code == 0, result.err
    assert sorted(functions.calls, key=str) == sorted(((old_pipeline.function_name, event) for event in events), key=str)
    assert queued_bodies(sqs, old_pipeline.queue_url) == []
    assert result.out == "failure queue: redriven: 2, failed again: 0 (kept), unreadable: 0 (kept)\n"


def test_a_message_whose_invocation_fails_again_stays_in_the_queue(run, old_pipeline, functions, sqs):
    pipeline = old_pipeline
    def fail_for_b(name, event):
        if "b.mp3" in json.dumps(event):
            raise FunctionFailed("1 of 1 uploads not started")
        return {"started": 1}

    functions.behaviour = fail_for_b
    kept = failure_record(s3_event("b.mp3"), pipeline.function_name, "req-b")
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(s3_event("a.mp3"), pipeline.function_name))
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=kept)

    result = run("redrive", "--stack", "old")

    assert result.code == 1
    assert result.out == "failure queue: redriven: 1, failed again: 1 (kept), unreadable: 0 (kept)\n"
    assert "mediactl: error: kept: b.mp3: the function failed again (Unhandled): FunctionFailed: 1 of 1 uploads not started" in result.err
    # Kept messages are visible again at once, for the next attempt.
    assert queued_bodies(sqs, pipeline.queue_url) == [kept]


def test_redrive_invokes_the_function_named_in_the_record(run, pipeline, functions, sqs):
    event = {"detail-type": "Transcribe Job State Change", "detail": {"TranscriptionJobName": "job-1"}}
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(event, "dev-completion"))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert functions.calls == [("dev-completion", event)]


def test_a_record_without_a_function_arn_goes_to_the_stack_function(run, old_pipeline, functions, sqs):
    pipeline = old_pipeline
    record = json.loads(failure_record(s3_event("a.mp3"), pipeline.function_name))
    del record["requestContext"]["functionArn"]
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(record))

    result = run("redrive", "--stack", "old")

    assert result.code == 0, result.err
    assert [name for name, _ in functions.calls] == [pipeline.function_name]


def test_a_function_that_no_longer_exists_keeps_the_message(run, old_pipeline, functions, sqs):
    pipeline = old_pipeline
    body = failure_record(s3_event("a.mp3"), "deleted-function")
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=body)

    result = run("redrive", "--stack", "old")

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
    assert result.out == EMPTY_DLQ + "failure queue: redriven: 0, failed again: 0 (kept), unreadable: 0 (kept)\n"




def test_an_old_upload_failure_holding_aws_sample_event_is_sent_to_the_upload_queue_as_it_is(run, pipeline, functions, sqs):
    event = json.loads((SAMPLES / "awsdocs-s3.put-event.json").read_text())
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=failure_record(event, pipeline.function_name))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert [json.loads(body) for body in queued_bodies(sqs, pipeline.upload_queue_url)] == [event]
    assert functions.calls == []


UNREADABLE = ["not json", json.dumps({"Records": []}), json.dumps({"requestContext": {}}), "é" * 100]


def send_unreadable(sqs, queue_url: str) -> dict[str, str]:
    """message id -> body."""
    return {sqs.send_message(QueueUrl=queue_url, MessageBody=body)["MessageId"]: body for body in UNREADABLE}


def test_each_unreadable_message_is_listed_with_its_id_why_and_first_bytes_and_kept(run, pipeline, functions, sqs):
    sent = send_unreadable(sqs, pipeline.queue_url)

    result = run("redrive", "--stack", "dev")

    assert result.code == 1
    assert result.out.endswith("failure queue: redriven: 0, failed again: 0 (kept), unreadable: 4 (kept)\n")
    lines = [line for line in result.err.splitlines() if line.startswith("mediactl: error: unreadable:")]
    by_id = {message_id: next(line for line in lines if message_id in line) for message_id in sent}
    assert set(by_id.values()) == set(lines)
    ids = {body: message_id for message_id, body in sent.items()}
    assert by_id[ids["not json"]] == f'mediactl: error: unreadable: message {ids["not json"]}: not JSON: "not json"'
    assert "a Lambda failure record without its requestPayload" in by_id[ids[json.dumps({"requestContext": {}})]]
    assert "neither a Lambda failure record nor an event EventBridge could not deliver" in by_id[ids[json.dumps({"Records": []})]]
    assert by_id[ids["é" * 100]].endswith(f'"{"é" * 60}" ...')
    assert assert_run_as_printed(result.err, "--stack", "dev") == [["mediactl", "redrive", "--export", "unreadable-messages", "--stack", "dev"]]
    assert functions.calls == []
    assert len(queued_bodies(sqs, pipeline.queue_url)) == 4


def test_export_saves_each_unreadable_message_and_keeps_it(run, pipeline, functions, sqs, tmp_path):
    sent = send_unreadable(sqs, pipeline.queue_url)

    result = run("redrive", "--stack", "dev", "--export", tmp_path / "saved")

    assert result.code == 1
    saved = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (tmp_path / "saved").glob("*.json")}
    assert {message_id: message["Body"] for message_id, message in saved.items()} == sent
    assert saved[next(i for i, body in sent.items() if body == "not json")]["unreadable"] == "not JSON"
    assert f"unreadable: 4 (kept, saved in {tmp_path / 'saved'})" in result.out
    assert len(queued_bodies(sqs, pipeline.queue_url)) == 4


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("n\n", False)])
def test_delete_unreadable_asks_then_deletes_what_export_saved(run, pipeline, functions, sqs, tmp_path, monkeypatch, answer, deleted):
    send_unreadable(sqs, pipeline.queue_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))

    result = run("redrive", "--stack", "dev", "--export", tmp_path / "saved", "--delete-unreadable")

    assert "Delete 4 unreadable messages from the failure queue" in result.err
    assert len(list((tmp_path / "saved").glob("*.json"))) == 4
    assert (queued_bodies(sqs, pipeline.queue_url) == []) is deleted
    assert result.code == (0 if deleted else 1)


def test_delete_unreadable_with_yes_does_not_ask(run, pipeline, functions, sqs, tmp_path):
    send_unreadable(sqs, pipeline.queue_url)

    result = run("redrive", "--stack", "dev", "--export", tmp_path / "saved", "--delete-unreadable", "--yes")

    assert result.code == 0, result.err
    assert f"unreadable: 4 (saved in {tmp_path / 'saved'}, deleted)" in result.out
    assert queued_bodies(sqs, pipeline.queue_url) == []


def test_delete_unreadable_without_export_is_refused_before_anything_is_touched(run, pipeline, functions, sqs):
    send_unreadable(sqs, pipeline.queue_url)

    result = run("redrive", "--stack", "dev", "--delete-unreadable")

    assert result.code == 2
    assert result.err == (
        "mediactl: error: --delete-unreadable does nothing without --export DIR (it deletes the unreadable messages"
        " --export saved): add --export DIR, or leave out --delete-unreadable\n"
    )
    assert len(queued_bodies(sqs, pipeline.queue_url)) == 4


def test_a_failed_invocation_reason_that_is_not_json_is_shown_as_text_not_bytes(run, pipeline, functions, sqs):
    def crash(name, event):
        raise FunctionFailed("crash", payload="Runtime exited: signal: killed — out of memory\n".encode())

    functions.behaviour = crash
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(job_state_change("job-3")))

    result = run("redrive", "--stack", "dev")

    assert result.code == 1
    assert (
        "mediactl: error: kept: Transcribe Job State Change of job-3: the function failed again (Unhandled):"
        " Runtime exited: signal: killed — out of memory\n"
    ) in result.err
    assert "b'" not in result.err and 'b"' not in result.err


def test_a_completion_record_without_a_function_arn_goes_to_the_completion_function(run, pipeline, functions, sqs):
    record = json.loads(failure_record(job_state_change("job-4"), "dev-completion"))
    del record["requestContext"]["functionArn"]
    sqs.send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(record))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert functions.calls == [(pipeline.outputs["completionFunctionName"], job_state_change("job-4"))]
