"""`selftest` against the moto server: the clip goes up under the stack's key prefix, its job is
found and followed, the JSON, text and subtitles are waited for, every stage is timed, and all
it made is removed, whatever stage failed. Every request it sends is checked against botocore's
model. (tests/e2e/test_selftest.py runs it on the stack applied to MiniStack.)"""

import re

import boto3

from function import naming
from function.ledger import Ledger
from hints import assert_run_as_printed
from mediactl import selftest
from mediactl_fakes import deploy, moto_job, outputs_file, start_job, transcript_document, uploads_of

STAGES = ["uploaded", "job started", "job completed", "JSON transcript", "text", "subtitles", "words", "cleaned up"]


def the_pipeline_transcribes(
    pipeline, functions, s3, *, text: str = "hello from an emulator", writes_text: bool = True, subtitles=("srt",), fails: str = ""
):
    """S3 notifies the (stand-in) upload function, which starts the job; Transcribe's output (the
    JSON and the `subtitles`) and the completion function's .txt appear as they would."""
    s3.put_bucket_notification_configuration(
        Bucket=pipeline.input_bucket,
        NotificationConfiguration={"LambdaFunctionConfigurations": [{"LambdaFunctionArn": pipeline.function_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    started = []

    ledger = Ledger(boto3.client("dynamodb"), pipeline.outputs["ledgerTableName"])

    def function(name, event):
        for record, (key, etag) in zip(event["Records"], uploads_of(event)):
            entry, _ = ledger.record(pipeline.input_bucket, key, etag, record["s3"]["object"]["size"], pipeline.job_name_prefix, origin="s3")
            started.append(start_job(pipeline, key, naming.attempt_id(entry.version, 0), document=transcript_document(text)))
            ledger.started(entry)
            for fmt in set(("srt",)) - set(subtitles):
                s3.delete_object(Bucket=pipeline.output_bucket, Key=naming.subtitle_key("transcripts/", key, fmt))
            if fails:
                job = moto_job(started[-1])
                job.status, job.failure_reason = "FAILED", fails
            elif writes_text:
                s3.put_object(Bucket=pipeline.output_bucket, Key=naming.text_key("transcripts/", key), Body=f"{text}\n".encode())
        return {}

    functions.behaviour = function
    return started


def stage_lines(result) -> list[tuple[str, float]]:
    """(stage, seconds since the upload began) of each stage line: `  <stage>  <seconds> s  <detail>`."""
    lines = (re.match(r"  (\S.*?) +(\d+\.\d) s\b", line) for line in result.out.splitlines())
    return [(line[1], float(line[2])) for line in lines if line]


def everything_left(pipeline, s3, transcribe) -> dict:
    return {
        "media": s3.list_objects_v2(Bucket=pipeline.input_bucket).get("KeyCount", 0),
        "outputs": s3.list_objects_v2(Bucket=pipeline.output_bucket).get("KeyCount", 0),
        "jobs": len(transcribe.list_transcription_jobs()["TranscriptionJobSummaries"]),
    }


def test_selftest_follows_the_clip_to_its_subtitles_times_each_stage_and_removes_everything(run, pipeline, functions, s3, transcribe, pauses, checked_requests):
    started = the_pipeline_transcribes(pipeline, functions, s3)

    result = run("selftest", "--stack", "dev")

    assert result.code == 0, result.err
    stages = stage_lines(result)
    assert [stage for stage, _ in stages] == STAGES
    assert [seconds for _, seconds in stages] == sorted(seconds for _, seconds in stages)
    assert started[0] in next(line for line in result.out.splitlines() if line.startswith("  job started"))
    assert "subtitles" in result.out and " srt" in result.out
    assert "0 of 8 words of the clip recognised" in result.out and "(an emulator writes a canned text: not a failure)" in result.out
    assert "removed the clip, 3 output files, the job record, 1 ledger item (erased)" in result.out
    assert result.out.splitlines()[-1].startswith("selftest passed: stack 'dev' works end to end (")
    assert everything_left(pipeline, s3, transcribe) == {"media": 0, "outputs": 0, "jobs": 0}
    # The clip's ledger item is the tombstone an erased object leaves: its keys, no names.
    key = next(params["Key"] for name, params in checked_requests if name == "PutObject" and params["Key"].endswith(".wav"))
    (tombstone,) = Ledger(boto3.client("dynamodb"), pipeline.outputs["ledgerTableName"]).versions(pipeline.input_bucket, key)
    assert tombstone.state == "deleted"
    operations = {name for name, _ in checked_requests}
    assert {"PutObject", "GetTranscriptionJob", "GetObject", "ListObjectsV2", "DeleteObject", "DeleteTranscriptionJob"} <= operations


def test_the_clip_goes_under_the_stack_key_prefix_in_a_folder_of_its_own_and_its_words_are_recognised(run, pulumi, functions, s3, pauses, tmp_path):
    stack = deploy(pulumi, "prod", key_prefix="media/")
    the_pipeline_transcribes(stack, functions, s3, text="The quick brown fox jumps over the lazy dog.")

    result = run("selftest", "--outputs", outputs_file(tmp_path, stack))

    assert result.code == 0, result.err
    ((function, event),) = functions.calls
    ((key, _),) = uploads_of(event)
    assert key.startswith("media/mediactl-selftest/") and key.endswith("/selftest.wav")
    assert "all 8 words of the clip recognised ('The quick brown fox jumps over the lazy dog.')" in result.out


def test_a_job_that_never_starts_fails_at_that_stage_and_the_clip_is_removed(run, pipeline, s3, transcribe, pauses):
    result = run("selftest", "--stack", "dev")

    assert result.code == 1
    assert result.err.splitlines()[-1] == (
        "mediactl: error: selftest failed at 'job started': no transcription job started within 300 s: see the"
        " function's log group and `mediactl redrive --stack dev`"
    )
    assert_run_as_printed(result.err, "--stack", "dev")
    assert everything_left(pipeline, s3, transcribe) == {"media": 0, "outputs": 0, "jobs": 0}


def test_a_failed_job_fails_at_its_stage_with_transcribe_reason_and_its_record_is_removed(
    run, pipeline, functions, s3, transcribe, pauses, transcribe_reports_failure_reason
):
    the_pipeline_transcribes(pipeline, functions, s3, fails="The media format provided does not match the detected media format.")

    result = run("selftest", "--stack", "dev")

    assert result.code == 1
    assert result.err.splitlines()[-1] == (
        "mediactl: error: selftest failed at 'job completed': the job FAILED: The media format provided does not match"
        " the detected media format."
    )
    assert everything_left(pipeline, s3, transcribe) == {"media": 0, "outputs": 0, "jobs": 0}


def test_a_missing_text_transcript_fails_at_text_and_points_to_the_completion_function(run, pipeline, functions, s3, transcribe, pauses, tmp_path):
    the_pipeline_transcribes(pipeline, functions, s3, writes_text=False)
    saved = outputs_file(tmp_path, pipeline)

    result = run("selftest", "--outputs", saved)

    assert result.code == 1
    last = result.err.splitlines()[-1]
    assert last.startswith("mediactl: error: selftest failed at 'text': no s3://dev-transcripts/transcripts/mediactl-selftest/")
    assert last.endswith(
        ".txt 120 s after the job ended: the completion function did not write it (see its log group"
        f" /aws/lambda/dev-completion and `mediactl status --outputs {saved}`)"
    )
    assert_run_as_printed(last, "--outputs", str(saved))
    assert sum(pauses) >= selftest.OUTPUT_TIMEOUT
    assert everything_left(pipeline, s3, transcribe) == {"media": 0, "outputs": 0, "jobs": 0}


def test_subtitles_the_job_asked_for_but_missing_fail_at_their_stage(run, pipeline, functions, s3, pauses):
    the_pipeline_transcribes(pipeline, functions, s3, subtitles=())

    result = run("selftest", "--stack", "dev")

    assert result.code == 1
    assert "selftest failed at 'subtitles srt': the job was asked for srt subtitles, but there is no s3://dev-transcripts/" in result.err

