"""Uploads through the packaged functions, wired as the program declares them, on MiniStack: what
a user finds in the buckets and queues afterwards."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from naming import SUPPORTED_FORMATS, error_key, subtitle_key, text_key, transcript_key
from pipeline import CREDENTIALS, EMPTY
from transcribe_pipeline.checks import START_RATE_MAX
from program import PROJECT, ROOT, run_program


def transcript_files(pipeline, media_key: str) -> set[str]:
    """What the output bucket holds for a transcribed upload: JSON, the stack's subtitles, text."""
    prefix = pipeline.outputs["outputPrefix"]
    subtitles = json.loads(pipeline.stack.program.config[f"{PROJECT}:subtitleFormats"])
    return {transcript_key(prefix, media_key), text_key(prefix, media_key)} | {subtitle_key(prefix, media_key, fmt) for fmt in subtitles}


def wait_for_transcripts(pipeline, *media_keys: str) -> set[str]:
    expected = set().union(*(transcript_files(pipeline, key) for key in media_keys))
    pipeline.eventually(lambda: pipeline.transcript_keys() >= expected, f"transcripts of {', '.join(media_keys)}")
    return expected


def jobs_of(pipeline, media_key: str) -> list[dict]:
    uri = f"s3://{pipeline.outputs['inputBucket']}/{media_key}"
    return [job for job in pipeline.jobs() if job["Media"]["MediaFileUri"] == uri]


def test_every_supported_format_in_either_case_gets_json_subtitles_and_text(pipeline):
    keys = [f"talk-{fmt}.{fmt}" for fmt in SUPPORTED_FORMATS] + [f"TALK-{fmt}.{fmt.upper()}" for fmt in SUPPORTED_FORMATS]
    for key in keys:
        # One at a time: MiniStack starts a process for each concurrent invocation.
        pipeline.upload(key)
        wait_for_transcripts(pipeline, key)
    expected = set().union(*(transcript_files(pipeline, key) for key in keys))

    assert pipeline.transcript_keys() == expected
    jobs = {job["Media"]["MediaFileUri"]: job for job in pipeline.jobs()}
    for key in keys:
        job = jobs[f"s3://{pipeline.outputs['inputBucket']}/{key}"]
        spoken = json.loads(pipeline.read(transcript_key(pipeline.outputs["outputPrefix"], key)))["results"]["transcripts"][0]["transcript"]
        assert job["TranscriptionJobStatus"] == "COMPLETED"
        assert pipeline.read(text_key(pipeline.outputs["outputPrefix"], key)).decode().split() == spoken.split()


def test_uploads_that_are_not_supported_media_start_no_job(pipeline):
    ignored = ["notes.txt", "talk.Mp3", "talk.mp3.part", "talk"]
    for key in ignored:
        pipeline.upload(key)
    pipeline.upload("after.mp3")  # reported through the same notification, after the others

    wait_for_transcripts(pipeline, "after.mp3")

    assert [job["Media"]["MediaFileUri"] for job in pipeline.jobs()] == [f"s3://{pipeline.outputs['inputBucket']}/after.mp3"]
    assert pipeline.transcript_keys() == transcript_files(pipeline, "after.mp3")


def test_a_key_with_spaces_unicode_and_folders_gets_its_transcript(pipeline):
    key = "team a/réunion d'été/Ünïcode talk 1.m4a"
    pipeline.upload(key)

    wait_for_transcripts(pipeline, key)

    (job,) = jobs_of(pipeline, key)
    assert job["TranscriptionJobStatus"] == "COMPLETED"


def test_uploading_the_same_key_again_starts_a_second_job(pipeline):
    pipeline.upload("talk.wav", b"first take")
    pipeline.eventually(lambda: jobs_of(pipeline, "talk.wav"), "first job")
    pipeline.upload("talk.wav", b"second take")

    jobs = pipeline.eventually(lambda: len(jobs_of(pipeline, "talk.wav")) == 2 and jobs_of(pipeline, "talk.wav"), "second job")

    assert len({job["TranscriptionJobName"] for job in jobs}) == 2
    wait_for_transcripts(pipeline, "talk.wav")


def test_media_deleted_before_transcribe_reads_it_gets_an_error_note(pipeline):
    pipeline.server.set_transcription_seconds(0.5)  # time to delete it while the job runs
    pipeline.upload("gone.flac")
    (job,) = pipeline.eventually(lambda: jobs_of(pipeline, "gone.flac"), "job for gone.flac")
    pipeline.client("s3").delete_object(Bucket=pipeline.outputs["inputBucket"], Key="gone.flac")

    note_key = error_key(pipeline.outputs["outputPrefix"], "gone.flac")
    pipeline.eventually(lambda: note_key in pipeline.transcript_keys(), "error note")

    failed = pipeline.client("transcribe").get_transcription_job(TranscriptionJobName=job["TranscriptionJobName"])["TranscriptionJob"]
    note = json.loads(pipeline.read(note_key))
    assert failed["TranscriptionJobStatus"] == "FAILED"
    assert note["media"] == f"s3://{pipeline.outputs['inputBucket']}/gone.flac"
    assert note["jobName"] == job["TranscriptionJobName"]
    assert note["reason"] == failed["FailureReason"]
    assert pipeline.transcript_keys() == {note_key}


def mediactl(pipeline, tmp_path, *args: str) -> subprocess.CompletedProcess:
    """`python -m mediactl ARGS` against the emulator, with a `pulumi` on PATH that prints the
    stack outputs the program declares (with the emulator's URLs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "outputs.json").write_text(json.dumps(pipeline.outputs))
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(f'#!/bin/sh\n[ "$*" = "stack output --json --stack {pipeline.stack.program.stack}" ] || exit 2\ncat {tmp_path / "outputs.json"}\n')
    pulumi.chmod(0o755)
    environment = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AWS_ENDPOINT_URL": pipeline.endpoint,
        "AWS_REGION": pipeline.outputs["region"],
        "HOME": str(tmp_path),
        "COLUMNS": "200",
        **CREDENTIALS,
    }
    return subprocess.run(
        [sys.executable, "-m", "mediactl", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_upload_wait_prints_the_transcript(pipeline, tmp_path):
    media = tmp_path / "Interview.MP3"
    media.write_bytes(b"media")

    result = mediactl(pipeline, tmp_path, "upload", str(media), "--stack", pipeline.stack.program.stack, "--wait", "--out", str(tmp_path / "got"))

    assert result.returncode == 0, result.stderr
    saved_text = (tmp_path / "got" / "Interview.mp3.txt").read_text()
    assert saved_text.strip() and saved_text.strip() in result.stdout
    # mediactl makes the text itself when the completion function has not written it yet; the
    # function's, once there, says the same.
    key = text_key(pipeline.outputs["outputPrefix"], "Interview.mp3")
    pipeline.eventually(lambda: key in pipeline.transcript_keys(), "text transcript from the completion function")
    assert pipeline.read(key).decode() == saved_text


def upload_source(pipeline) -> str:
    """The event source mapping that feeds the upload function from the upload queue."""
    (mapping,) = pipeline.client("lambda").list_event_source_mappings(FunctionName=pipeline.outputs["functionName"])["EventSourceMappings"]
    return mapping["UUID"]


def test_a_repeated_notification_starts_one_job(drained):
    pipeline = drained
    lambda_, sqs = pipeline.client("lambda"), pipeline.client("sqs")
    lambda_.update_event_source_mapping(UUID=upload_source(pipeline), Enabled=False)
    pipeline.upload("twice.mp3")
    (reported,) = pipeline.eventually(
        lambda: [m for m in pipeline.messages("uploadQueueUrl") if "Records" in m["Body"]], "the upload's notification"
    )
    # SQS delivers at least once: the same notification a second time.
    sqs.send_message(QueueUrl=pipeline.outputs["uploadQueueUrl"], MessageBody=json.dumps(reported["Body"]))
    lambda_.update_event_source_mapping(UUID=upload_source(pipeline), Enabled=True)

    wait_for_transcripts(pipeline, "twice.mp3")
    pipeline.eventually(lambda: pipeline.queue_depth("uploadQueueUrl") == EMPTY, "empty upload queue")

    assert len(pipeline.job_names()) == 1
    assert pipeline.queue_depth("deadLetterQueueUrl") == EMPTY


def test_a_function_that_cannot_start_keeps_the_uploads_in_the_upload_queue(drained):
    pipeline = drained
    declared = pipeline.environment("functionName")
    pipeline.set_environment("functionName", declared | {"OUTPUT_BUCKET": ""})
    pipeline.upload("talk.ogg")

    # Lambda took the message, failed, and left it to come back after the queue's visibility timeout
    # (6 x the function's timeout): the upload waits, it is not lost. How it then goes through once
    # the function is fixed takes minutes, longer than this suite can wait.
    pipeline.eventually(lambda: pipeline.queue_depth("uploadQueueUrl") == {"waiting": 0, "in flight": 1}, "upload taken and kept")

    assert pipeline.job_names() == []
    assert pipeline.queue_depth("deadLetterQueueUrl") == EMPTY
    assert pipeline.queue_depth("failureQueueUrl") == EMPTY


BURST = 200
# MiniStack's Transcribe has no request quota: the pace the stack keeps under AWS's (23 starts a
# second by default, which `python -m bench scale` measures) would only add 9 s here. The burst runs
# on a stack with the highest startRate the program accepts.
FASTEST = {"startRate": START_RATE_MAX}
# Long enough that no job ends during the test: the completion function's part is covered above,
# and 200 completion events at once would start a MiniStack process for each.
JOBS_STILL_RUNNING_SECONDS = 120


def test_a_burst_of_uploads_starts_every_job_and_dead_letters_nothing(deploy, declared):
    pipeline = deploy(run_program(declared.stack, FASTEST))
    pipeline.server.set_transcription_seconds(JOBS_STILL_RUNNING_SECONDS)
    keys = [f"burst/{number:03}.wav" for number in range(BURST)]
    with ThreadPoolExecutor(max_workers=4) as uploads:
        list(uploads.map(pipeline.upload, keys))

    pipeline.eventually(lambda: len(pipeline.job_names()) == BURST, f"{BURST} jobs", timeout=60)
    pipeline.eventually(lambda: pipeline.queue_depth("uploadQueueUrl") == EMPTY, "empty upload queue")

    media = {job["Media"]["MediaFileUri"] for job in pipeline.jobs()}
    assert media == {f"s3://{pipeline.outputs['inputBucket']}/{key}" for key in keys}
    assert pipeline.queue_depth("deadLetterQueueUrl") == EMPTY
