"""`upload --wait`: from the upload to the transcript on disk, or to the reason there is none.

The bucket notifies the (stand-in) function of each upload, which starts the job as the
pipeline's function would; moto then moves the job QUEUED -> IN_PROGRESS -> COMPLETED on
successive GetTranscriptionJob calls.
"""

import json
from datetime import timedelta

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from function import naming
from function.ledger import Ledger
from hints import assert_run_as_printed, printed_commands
from mediactl import jobs
from mediactl_fakes import (
    outputs_file,
    UploadFunction,
    dead_letter_as_the_function_does,
    moto_job,
    notify_upload_queue,
    start_job,
    transcript_document,
    upload_messages,
    uploads_of,
)


def error_lines(result) -> list[str]:
    """stderr less the progress bars."""
    return [line for line in result.err.splitlines() if line.startswith("mediactl: error:")]


@pytest.fixture
def talk(tmp_path):
    path = tmp_path / "talk.mp3"
    path.write_bytes(b"ID3" + bytes(2000))
    return path


def test_wait_follows_the_job_downloads_the_transcript_and_prints_the_text(run, pipeline, uploads_start_jobs, pauses, talk, tmp_path):
    out = tmp_path / "out"

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", out)

    assert result.code == 0, result.err
    assert len(uploads_start_jobs) == 1
    assert f"talk.mp3: COMPLETED (job {uploads_start_jobs[0]})" in result.out
    assert json.loads((out / "talk.mp3.json").read_text())["results"]["transcripts"][0]["transcript"] == "hello from talk.mp3"
    assert (out / "talk.mp3.srt").read_text().endswith("hello from talk.mp3\n")
    # No completion function ran here: the text is written as it would have written it.
    assert (out / "talk.mp3.txt").read_text() == "hello from talk.mp3\n"
    assert result.out.rstrip().endswith("hello from talk.mp3")
    # QUEUED, then IN_PROGRESS: two waits, the second longer.
    assert pauses == [jobs.POLL.first, jobs.POLL.first * jobs.POLL.factor]


def test_wait_follows_several_uploads(run, pipeline, uploads_start_jobs, pauses, tmp_path):
    files = []
    for name in ("one.wav", "Two.FLAC"):
        files.append(tmp_path / name)
        files[-1].write_bytes(b"RIFF" + bytes(500))

    result = run("upload", *files, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert sorted(path.name for path in (tmp_path / "out").glob("*.json")) == ["Two.flac.json", "one.wav.json"]
    assert "hello from one.wav" in result.out and "hello from Two.flac" in result.out


def test_wait_on_a_failed_job_exits_non_zero_with_transcribe_reason(run, pipeline, functions, uploads_start_jobs, transcribe_reports_failure_reason, pauses, talk, tmp_path):
    def start_and_fail(function_name, event):
        for key, etag in uploads_of(event):
            job = moto_job(start_job(pipeline, key, etag))
            job.status = "FAILED"
            job.failure_reason = "The media file is corrupt."
        return {}

    functions.behaviour = start_and_fail

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 1
    assert error_lines(result) == ["mediactl: error: transcription of talk.mp3 failed: The media file is corrupt."]
    assert "COMPLETED" not in result.out


def test_wait_reports_the_function_error_note_when_no_job_could_start(run, pipeline, functions, uploads_start_jobs, pauses, s3, talk, tmp_path):
    def refuse(function_name, event):
        for key, _ in uploads_of(event):
            note = {"media": f"s3://{pipeline.input_bucket}/{key}", "jobName": "job-x", "reason": "Transcribe refused it", "time": "now"}
            s3.put_object(Bucket=pipeline.output_bucket, Key=naming.error_key("transcripts/", key), Body=json.dumps(note).encode())
        return {}

    functions.behaviour = refuse

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 1
    assert error_lines(result) == ["mediactl: error: transcription of talk.mp3 failed: Transcribe refused it"]


def test_wait_gives_up_when_no_job_starts(run, pipeline, pauses, talk, tmp_path):
    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 1
    assert (
        "failed: no transcription job started within 300 s: see the function's log group and"
        " `mediactl redrive --stack dev`"
    ) in result.err
    assert_run_as_printed(result.err, "--stack", "dev")
    assert sum(pauses[:-1]) < jobs.START_TIMEOUT <= sum(pauses)
    assert max(pauses) == jobs.POLL.most


def interrupt(seconds: float) -> None:
    """Ctrl-C during the tool's first wait."""
    raise KeyboardInterrupt


def test_ctrl_c_while_waiting_leaves_cleanly(run, pipeline, uploads_start_jobs, monkeypatch, talk, tmp_path):
    monkeypatch.setattr(jobs, "pause", interrupt)

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 130
    [line] = error_lines(result)
    assert line == (
        "mediactl: error: stopped following; the uploads are in S3 and their jobs go on: fetch later with"
        " `mediactl fetch talk.mp3 --stack dev`"
    )
    assert_run_as_printed(line, "--stack", "dev")
    assert "Traceback" not in result.err
    assert f"s3://{pipeline.input_bucket}/talk.mp3" in result.out


def test_wait_with_a_bucket_instead_of_a_stack(run, pipeline, uploads_start_jobs, pauses, pulumi, talk, tmp_path):
    result = run(
        "upload", talk, "--bucket", pipeline.input_bucket, "--output-bucket", pipeline.output_bucket,
        "--job-prefix", pipeline.job_name_prefix, "--wait", "--out", tmp_path / "out",
    )

    assert result.code == 0, result.err
    assert pulumi.calls() == []
    assert (tmp_path / "out" / "talk.mp3.json").exists()


@pytest.fixture
def ctrl_c_after_three_start_timeouts(monkeypatch) -> list[float]:
    """The tool's waits, recorded; Ctrl-C once they add up to three times the start timeout."""
    waits: list[float] = []

    def pause(seconds):
        waits.append(seconds)
        if sum(waits) > 3 * jobs.START_TIMEOUT:
            raise KeyboardInterrupt

    monkeypatch.setattr(jobs, "pause", pause)
    return waits


def test_wait_by_bucket_never_calls_a_queued_upload_failed_and_hints_a_fetch_that_runs(run, pipeline, ctrl_c_after_three_start_timeouts, talk, tmp_path):
    result = run("upload", talk, "--bucket", pipeline.input_bucket, "--output-bucket", pipeline.output_bucket, "--wait", "--out", tmp_path / "out")

    assert result.code == 130
    assert "failed" not in result.err
    assert result.err.count("talk.mp3: no job yet (the upload may be waiting in the upload queue) after 300 s; waiting on, Ctrl-C stops following") == 1
    assert error_lines(result) == [
        "mediactl: error: stopped following; the uploads are in S3 and their jobs go on: fetch later with"
        f" `mediactl fetch talk.mp3 --bucket {pipeline.output_bucket}`"
    ]
    assert_run_as_printed(result.err, "--bucket", pipeline.output_bucket)


def test_wait_by_bucket_without_the_transcripts_bucket_prints_no_command_it_cannot_complete(run, pipeline, ctrl_c_after_three_start_timeouts, talk, tmp_path):
    result = run("upload", talk, "--bucket", pipeline.input_bucket, "--wait")

    assert result.code == 130
    assert error_lines(result) == ["mediactl: error: stopped following; the uploads are in S3 and their jobs go on"]
    assert printed_commands(result.err) == []


def test_ctrl_c_with_the_outputs_file_hints_fetch_commands_with_that_file(run, pipeline, monkeypatch, tmp_path):
    monkeypatch.setattr(jobs, "pause", interrupt)
    saved = outputs_file(tmp_path, pipeline)
    files = []
    for name in ("a.mp3", "b c.wav"):
        files.append(tmp_path / name)
        files[-1].write_bytes(b"ID3" + bytes(200))

    result = run("upload", *files, "--outputs", saved, "--wait", "--out", tmp_path / "out")

    assert result.code == 130
    commands = assert_run_as_printed(result.err, "--outputs", str(saved))
    assert [words[2] for words in commands] == ["a.mp3", "b c.wav"]


def test_wait_follows_the_job_of_this_upload_not_an_older_one_of_the_same_key(run, pipeline, monkeypatch, s3, talk, tmp_path):
    older = moto_job(start_job(pipeline, "talk.mp3", "an-earlier-upload"))
    older.status = "FAILED"
    older.creation_time = older.creation_time - timedelta(hours=1)
    started = []

    def function_starts_late(seconds):
        # The function starts this upload's job only while the tool already waits for it.
        if not started:
            etag = s3.head_object(Bucket=pipeline.input_bucket, Key="talk.mp3")["ETag"].strip('"')
            started.append(start_job(pipeline, "talk.mp3", etag))

    monkeypatch.setattr(jobs, "pause", function_starts_late)

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert f"talk.mp3: COMPLETED (job {started[0]})" in result.out


class EventSourceMapping:
    """Plays Lambda's poller of the upload queue and the upload function: once `after` seconds of
    the tool's waits have passed, it receives the queue's messages (S3's own notifications) and
    starts their jobs (writing what Transcribe would, which the real function cannot here)."""

    def __init__(self, pipeline, after: float):
        self.pipeline, self.after = pipeline, after
        self.waited = 0.0
        self.started: list[str] = []
        self.backlog_seen: list[int] = []

    def pause(self, seconds: float) -> None:
        self.waited += seconds
        attributes = boto3.client("sqs").get_queue_attributes(
            QueueUrl=self.pipeline.upload_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        self.backlog_seen.append(int(attributes["ApproximateNumberOfMessages"]))
        if self.waited < self.after:
            return
        for message in upload_messages(self.pipeline):
            self.started += [start_job(self.pipeline, key, etag) for key, etag in uploads_of(json.loads(message["Body"]))]
            boto3.client("sqs").delete_message(QueueUrl=self.pipeline.upload_queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def queued(pipeline):
    notify_upload_queue(pipeline)
    return pipeline


def test_wait_keeps_waiting_while_the_upload_is_in_the_queue_past_the_start_timeout(run, queued, monkeypatch, talk, tmp_path):
    backlog = EventSourceMapping(queued, after=jobs.START_TIMEOUT + 60)
    monkeypatch.setattr(jobs, "pause", backlog.pause)

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert backlog.waited >= jobs.START_TIMEOUT + 60
    assert backlog.backlog_seen[0] == 1
    assert "talk.mp3: waiting in the upload queue (1 message queued or in progress); a bulk upload's backlog may take hours" in result.err
    assert f"talk.mp3: COMPLETED (job {backlog.started[0]})" in result.out


def test_wait_fails_with_the_reason_when_the_upload_went_to_the_dead_letter_queue(run, queued, monkeypatch, talk, tmp_path):
    function = UploadFunction(queued, monkeypatch)
    function.transcribe_refuses("AccessDeniedException", "not allowed")
    waits = []

    def function_runs(seconds):
        waits.append(seconds)
        function.poll_until_dead_lettered()

    monkeypatch.setattr(jobs, "pause", function_runs)

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 1
    assert error_lines(result) == [
        "mediactl: error: transcription of talk.mp3 failed: its upload went to the dead-letter queue:"
        " Failed: ClientError: An error occurred (AccessDeniedException) when calling the StartTranscriptionJob"
        " operation: not allowed (after 5 receives); once the cause is fixed,"
        " `mediactl redrive --stack dev` moves it back to the upload queue"
    ]
    assert_run_as_printed(result.err, "--stack", "dev")
    assert len(waits) == 1


def test_an_older_dead_letter_of_the_same_key_does_not_fail_the_wait(run, queued, monkeypatch, s3, talk, tmp_path):
    s3.put_object(Bucket=queued.input_bucket, Key="talk.mp3", Body=talk.read_bytes())
    [older] = upload_messages(queued)
    body = json.loads(older["Body"])
    body["Records"][0]["eventTime"] = "2020-01-01T00:00:00.000Z"
    dead_letter_as_the_function_does(queued, {**older, "Body": json.dumps(body)}, "Failed", "an older upload's failure")
    mapping = EventSourceMapping(queued, after=10)
    monkeypatch.setattr(jobs, "pause", mapping.pause)

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert f"talk.mp3: COMPLETED (job {mapping.started[0]})" in result.out



def test_wait_saves_under_out_by_the_key_so_folders_do_not_clash(run, pipeline, uploads_start_jobs, pauses, talk, tmp_path):
    out = tmp_path / "out"

    result = run("upload", talk, "--stack", "dev", "--prefix", "team/", "--wait", "--out", out)

    assert result.code == 0, result.err
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*.*")) == [
        "team/talk.mp3.json", "team/talk.mp3.srt", "team/talk.mp3.txt",
    ]
    assert f"saved {out / 'team' / 'talk.mp3.txt'}" in result.out


def test_without_permission_to_read_the_queues_the_wait_goes_on_without_them(run, pipeline, monkeypatch, s3, talk, tmp_path):
    make_api_call = BaseClient._make_api_call

    def deny_queue_attributes(client, operation_name, params):
        if operation_name == "GetQueueAttributes":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not for you"}}, operation_name)
        return make_api_call(client, operation_name, params)

    started = []

    def function_starts_late(seconds):
        if len(started) < 1 and seconds >= jobs.POLL.first * jobs.POLL.factor:
            etag = s3.head_object(Bucket=pipeline.input_bucket, Key="talk.mp3")["ETag"].strip('"')
            started.append(start_job(pipeline, "talk.mp3", etag))

    monkeypatch.setattr(BaseClient, "_make_api_call", deny_queue_attributes)
    monkeypatch.setattr(jobs, "pause", function_starts_late)

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert result.err.count("cannot read the upload queues (access denied to GetQueueAttributes") == 1
    assert f"talk.mp3: COMPLETED (job {started[0]})" in result.out


def test_wait_joins_the_words_the_way_the_job_s_language_writes_them(run, pipeline, functions, uploads_start_jobs, pauses, talk, tmp_path):
    """A ja-JP job's output does not name its language (only identified ones do): the job does."""
    words = [("今日", "pronunciation"), ("は", "pronunciation"), ("。", "punctuation")]
    items = [{"type": kind, "alternatives": [{"content": word, "confidence": "1.0"}]} for word, kind in words]
    document = transcript_document("今日は。", items)
    functions.behaviour = lambda name, event: [
        uploads_start_jobs.append(start_job(pipeline, key, etag, (), language="ja-JP", document=document))
        for key, etag in uploads_of(event)
    ]

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert (tmp_path / "out" / "talk.mp3.txt").read_text(encoding="utf-8") == "今日は。\n"


def test_an_identical_re_upload_is_followed_to_the_job_its_content_already_had(run, queued, monkeypatch, talk, tmp_path, s3):
    """The ledger knows the content: the second upload starts no job and --wait brings home the
    first one's transcript, where a look through the stack's jobs would wait for a job in vain."""
    function = UploadFunction(queued, monkeypatch)
    assert run("upload", talk, "--stack", "dev").code == 0
    function.poll()
    transcribe = boto3.client("transcribe")
    (name,) = [s["TranscriptionJobName"] for s in transcribe.list_transcription_jobs()["TranscriptionJobSummaries"]]
    while transcribe.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]["TranscriptionJobStatus"] != "COMPLETED":
        pass  # moto moves a job on at every look
    s3.put_object(Bucket=queued.output_bucket, Key="transcripts/talk.mp3.json", Body=json.dumps(transcript_document("said before")).encode())
    monkeypatch.setattr(jobs, "pause", lambda seconds: function.poll())

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert f"talk.mp3: COMPLETED (job {name})" in result.out and "said before" in result.out
    assert len(boto3.client("transcribe").list_transcription_jobs()["TranscriptionJobSummaries"]) == 1


def test_an_upload_the_ledger_has_as_queued_is_waited_for_past_the_start_timeout(run, queued, monkeypatch, talk, tmp_path):
    function = UploadFunction(queued, monkeypatch)
    function.transcribe_refuses("ThrottlingException", "slow down")
    waited = []

    def later(seconds):
        waited.append(seconds)
        function.poll()
        if sum(waited) > jobs.START_TIMEOUT + 30:
            raise KeyboardInterrupt

    monkeypatch.setattr(jobs, "pause", later)
    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 130, "still waiting when interrupted, never 'failed'"
    assert "no transcription job started within" not in result.err


def test_a_job_started_before_the_ledger_heard_of_it_is_followed(run, queued, monkeypatch, talk, tmp_path, s3):
    """The function started the job but its `started` write never landed (a crash in between):
    the ledger still says queued, and the wait follows the job its item names."""
    assert run("upload", talk, "--stack", "dev").code == 0
    head = s3.head_object(Bucket=queued.input_bucket, Key="talk.mp3")
    ledger = Ledger(boto3.client("dynamodb"), queued.outputs["ledgerTableName"])
    entry, _ = ledger.record(queued.input_bucket, "talk.mp3", head["ETag"], head["ContentLength"], queued.job_name_prefix, origin="s3")
    name = start_job(queued, "talk.mp3", naming.attempt_id(entry.version, 0), document=transcript_document("started unrecorded"))
    monkeypatch.setattr(jobs, "pause", lambda seconds: None)

    result = run("upload", talk, "--stack", "dev", "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert f"talk.mp3: COMPLETED (job {name})" in result.out and "started unrecorded" in result.out
    assert ledger.versions(queued.input_bucket, "talk.mp3")[0].state == "queued"
