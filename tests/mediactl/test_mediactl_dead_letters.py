"""`redrive`, the upload dead-letter queue: why each message is there, then back to the upload queue
with SQS's message move task (moto lacks it: `move_tasks` adds it as AWS documents it).

The messages come from the services and the function that put them there: S3's own notifications
of uploads to the upload queue, dead-lettered by the real upload function (function/handler.py,
with its ERROR_CODE and ERROR_MESSAGE) or by SQS's redrive policy after too many receives.
"""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.sqs.exceptions import InvalidParameterValue
from moto.sqs.responses import SQSResponse

from mediactl import dead_letters, jobs
from mediactl_fakes import UploadFunction, notify_upload_queue, queue_bodies, receive_until_dead_lettered


def arn(queue_url: str) -> str:
    return boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.fixture
def dead_lettered(pipeline, s3, sqs, monkeypatch) -> list[str]:
    """Four messages in the dead-letter queue: two uploads the upload function gave up on (refused
    at five receives in a row), a body that is not an S3 notification, and an upload SQS moved
    there after too many receives. Returns their bodies."""
    notify_upload_queue(pipeline)
    function = UploadFunction(pipeline, monkeypatch)
    function.transcribe_refuses("AccessDeniedException", "not allowed")
    for key in ("a.mp3", "b.mp3"):
        s3.put_object(Bucket=pipeline.input_bucket, Key=key, Body=b"ID3")
    sqs.send_message(QueueUrl=pipeline.upload_queue_url, MessageBody="hello")
    function.poll_until_dead_lettered()
    s3.put_object(Bucket=pipeline.input_bucket, Key="c.mp3", Body=b"ID3")
    receive_until_dead_lettered(pipeline)
    bodies = queue_bodies(pipeline.dead_letter_queue_url)
    assert len(bodies) == 4 and queue_bodies(pipeline.upload_queue_url) == []
    return bodies


def test_redrive_says_why_then_moves_the_dead_letters_back_with_a_move_task(run, pipeline, dead_lettered, move_tasks, functions, pauses):
    hello = message_id(pipeline, "hello")

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert move_tasks.started == [
        {"SourceArn": arn(pipeline.dead_letter_queue_url), "DestinationArn": arn(pipeline.upload_queue_url), "MaxNumberOfMessagesPerSecond": None}
    ]
    assert queue_bodies(pipeline.upload_queue_url) == dead_lettered
    assert queue_bodies(pipeline.dead_letter_queue_url) == []
    lines = result.out.splitlines()
    assert lines[0] == "dead-letter queue: 4 messages; dead-lettered because:"
    assert sorted(lines[1:4]) == sorted([
        f"  2 × Failed: ClientError: An error occurred (AccessDeniedException) when calling the StartTranscriptionJob"
        f" operation: not allowed (after 5 receives) ({pipeline.input_bucket}/a.mp3, {pipeline.input_bucket}/b.mp3)",
        f"  1 × BadMessage: message is not an S3 notification: its body has no Records list (message {hello}, not an S3 notification)",
        f"  1 × received too often without success (no reason recorded: see the upload function's log) ({pipeline.input_bucket}/c.mp3)",
    ])
    assert lines[4] == "dead-letter queue: moved 4 of 4 messages to the upload queue (SQS message move task)"
    # The task moves 2 messages per look: the tool followed it until it completed.
    assert len(pauses) == 2
    assert functions.calls == []


def test_an_empty_dead_letter_queue_starts_no_task(run, pipeline, move_tasks, functions):
    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert move_tasks.started == []
    assert result.out.startswith("dead-letter queue: empty\n")


def test_a_task_already_running_is_followed_rather_than_a_second_one_started(run, pipeline, dead_lettered, move_tasks, functions, pauses, sqs):
    sqs.start_message_move_task(SourceArn=arn(pipeline.dead_letter_queue_url), DestinationArn=arn(pipeline.upload_queue_url))

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert len(move_tasks.started) == 1
    assert queue_bodies(pipeline.upload_queue_url) == dead_lettered


def test_a_task_that_fails_is_one_line_and_exit_1(run, pipeline, dead_lettered, move_tasks, functions, pauses, monkeypatch):
    def fail(task):
        task.status = "FAILED"
        task.failure_reason = "AWS.SimpleQueueService.NonExistentQueue"

    monkeypatch.setattr(move_tasks, "advance", fail)

    result = run("redrive", "--stack", "dev")

    assert result.code == 1
    assert (
        "mediactl: error: the message move task of the dead-letter queue ended FAILED:"
        " AWS.SimpleQueueService.NonExistentQueue after moving 0 of 4 messages\n"
    ) in result.err
    assert "failure queue: redriven: 0" in result.out


def test_without_move_tasks_each_message_is_sent_then_deleted(run, pipeline, dead_lettered, no_move_tasks, functions):
    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert queue_bodies(pipeline.upload_queue_url) == dead_lettered
    assert queue_bodies(pipeline.dead_letter_queue_url) == []
    assert "moved 4 of 4 messages to the upload queue (by hand: this endpoint has no SQS message move tasks)" in result.out


def test_against_a_plain_moto_server_without_move_tasks_the_messages_are_moved_by_hand(run, pipeline, dead_lettered, sqs):
    """Nothing patched: moto's server answers ListMessageMoveTasks with HTTP 500 and an HTML page,
    as an emulator without the operation may."""
    with pytest.raises(ClientError) as refused:
        sqs.list_message_move_tasks(SourceArn=arn(pipeline.dead_letter_queue_url))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500

    result = run("redrive", "--stack", "dev")

    assert result.code == 0, result.err
    assert queue_bodies(pipeline.upload_queue_url) == dead_lettered
    assert queue_bodies(pipeline.dead_letter_queue_url) == []
    assert "moved 4 of 4 messages to the upload queue (by hand: this endpoint has no SQS message move tasks)" in result.out


def test_without_move_tasks_a_message_that_cannot_be_sent_stays_in_the_dead_letter_queue(run, pipeline, dead_lettered, no_move_tasks, functions, monkeypatch):
    send = SQSResponse.send_message

    def refuse_b(response):
        if "b.mp3" in response._get_param("MessageBody") and response._get_param("QueueUrl").endswith("-uploads"):
            raise InvalidParameterValue("injected: the queue refused the message")
        return send(response)

    monkeypatch.setattr(SQSResponse, "send_message", refuse_b)

    result = run("redrive", "--stack", "dev")

    assert result.code == 1
    assert "SendMessage failed: InvalidParameterValue: injected: the queue refused the message" in result.err
    left, moved = queue_bodies(pipeline.dead_letter_queue_url), queue_bodies(pipeline.upload_queue_url)
    assert any("b.mp3" in body for body in left)
    # Nothing lost, nothing in both queues.
    assert sorted(left + moved) == dead_lettered


def test_ctrl_c_while_following_the_task_says_it_goes_on(run, pipeline, dead_lettered, move_tasks, functions, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(jobs, "pause", interrupt)

    result = run("redrive", "--stack", "dev")

    assert result.code == 130
    assert result.err.strip() == (
        "mediactl: error: stopped following the move; an SQS move task goes on by itself"
        f" (`aws sqs list-message-move-tasks --source-arn {arn(pipeline.dead_letter_queue_url)}`)"
    )


def message_id(pipeline, body: str) -> str:
    messages = boto3.client("sqs").receive_message(QueueUrl=pipeline.dead_letter_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return next(message["MessageId"] for message in messages["Messages"] if message["Body"] == body)


@pytest.mark.parametrize(
    ("code", "status", "no_move_tasks"),
    [
        ("AWS.SimpleQueueService.UnsupportedOperation", 400, True),
        ("InvalidAction", 400, True),
        ("UnknownOperationException", 400, True),
        ("500", 500, True),
        ("InternalFailure", 500, True),
        ("501", 501, True),
        ("AccessDenied", 403, False),
        ("InvalidParameterValue", 400, False),
        ("ResourceNotFoundException", 400, False),
    ],
)
def test_which_answers_mean_the_endpoint_has_no_move_tasks(code, status, no_move_tasks):
    error = ClientError({"Error": {"Code": code, "Message": "..."}, "ResponseMetadata": {"HTTPStatusCode": status}}, "ListMessageMoveTasks")

    assert dead_letters.unsupported(error) is no_move_tasks
