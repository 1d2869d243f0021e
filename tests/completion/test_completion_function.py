"""The completion function against moto: jobs started by our own upload handler, driven to their
end in moto, Transcribe's output file placed where the job says, then the job's end event."""

import json
import logging
import re

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager
from moto.transcribe.models import transcribe_backends

import naming
from moto_stack import FAILED_AT, JOB_NAME_PREFIX, PREFIX, REGION, fresh_import
from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET
from job_events import job_state_change
from transcribe_output import ON_HOLD_JA, documented_sample, in_other_words, output, spoken

TALK = "talks/keynote.mp3"


def operations(stack) -> list[str]:
    return [name for name, _ in stack.calls]


def test_completed_job_gets_a_text_transcript_next_to_its_json(stack):
    job_name = stack.upload(TALK)
    stack.complete(job_name, output(job_name, spoken("Hello, and welcome. Today we talk about rivers.")))

    assert stack.run(job_state_change(job_name, "COMPLETED")) == {"jobName": job_name, "outcome": "transcribed"}

    text_key = naming.text_key(PREFIX, TALK)
    assert text_key == "transcripts/talks/keynote.mp3.txt"
    assert set(stack.output_objects()) == {naming.transcript_key(PREFIX, TALK), text_key}
    assert stack.read(text_key) == "Hello, and welcome. Today we talk about rivers.\n"
    head = stack.s3.head_object(Bucket=TRANSCRIPT_BUCKET, Key=text_key)
    assert head["ContentType"] == "text/plain; charset=utf-8"
    assert operations(stack) == ["GetTranscriptionJob", "Query", "GetObject", "PutObject", "UpdateItem", "UpdateItem"]


def test_long_talk_without_speakers_reads_as_paragraphs(stack):
    job_name = stack.upload(TALK)
    first = spoken("One. Two. Three.", start=0.0)
    after_pause = spoken("Four. Five. Six. Seven. Eight. Nine.", start=10.0)
    stack.complete(job_name, output(job_name, first, after_pause))

    stack.run(job_state_change(job_name))

    assert stack.read(naming.text_key(PREFIX, TALK)) == "One. Two. Three.\n\nFour. Five. Six. Seven. Eight.\n\nNine.\n"


def test_speaker_labels_give_one_line_per_speaker_turn(stack):
    job_name = stack.upload(TALK, speakers=2)
    job = stack.complete(job_name, documented_sample(job_name))
    assert job["Settings"]["ShowSpeakerLabels"] is True

    stack.run(job_state_change(job_name))

    assert stack.read(naming.text_key(PREFIX, TALK)) == (
        "Speaker 1: I've been on hold for an hour.\n"
        "Speaker 2: Sorry about that. How can I help?\n"
        "Speaker 1: My order, it never arrived.\n"
    )


def test_a_japanese_jobs_text_is_written_without_spaces(stack):
    # AWS's diarization example with only its words changed (no real ja-JP output is public);
    # like an output of a job given its language, it names none: the job's LanguageCode decides.
    stack.monkeypatch.setenv("LANGUAGE_CODE", "ja-JP")
    job_name = stack.upload(TALK, speakers=2)
    job = stack.complete(job_name, in_other_words("awsdocs.diarization-output.json", None, ON_HOLD_JA, job_name))
    assert job["LanguageCode"] == "ja-JP"

    stack.run(job_state_change(job_name))

    assert stack.read(naming.text_key(PREFIX, TALK)) == "Speaker 1: 一時間も保留になっていました。\nSpeaker 2: 申し訳ございませんでした。\n"


def test_speaker_turns_come_from_segments_when_items_carry_no_labels(stack):
    job_name = stack.upload(TALK, speakers=2)
    conversation = [
        spoken("Are you there?", start=0.0, speaker="spk_0"),
        spoken("Yes, I am.", start=2.0, speaker="spk_1"),
    ]
    stack.complete(job_name, output(job_name, *conversation, item_labels=False))

    stack.run(job_state_change(job_name))

    assert stack.read(naming.text_key(PREFIX, TALK)) == "Speaker 1: Are you there?\nSpeaker 2: Yes, I am.\n"


def test_media_without_speech_gets_a_text_file_that_says_so(stack):
    job_name = stack.upload(TALK)
    stack.complete(job_name, {"jobName": job_name, "accountId": "123456789012", "status": "COMPLETED",
                              "results": {"transcripts": [{"transcript": ""}], "items": []}})

    stack.run(job_state_change(job_name))

    assert stack.read(naming.text_key(PREFIX, TALK)) == "(No speech was found in this media file.)\n"


def test_keys_the_naming_rules_clean_still_pair_text_with_json(stack):
    key = "Ünïcödé/会议 (final).wav"
    job_name = stack.upload(key)
    stack.complete(job_name, output(job_name, spoken("Meeting notes.")))

    stack.run(job_state_change(job_name))

    json_key, text_key = naming.transcript_key(PREFIX, key), naming.text_key(PREFIX, key)
    assert text_key.removesuffix(".txt") == json_key.removesuffix(".json")
    assert set(stack.output_objects()) == {json_key, text_key}
    assert stack.read(text_key) == "Meeting notes.\n"


def test_notification_for_a_transcript_says_media_language_duration_and_files(stack):
    job_name = stack.upload(TALK, speakers=2, subtitles=("srt", "vtt"))
    stack.complete(job_name, documented_sample(job_name))

    stack.run(job_state_change(job_name), topic=True)

    (message,) = stack.published()
    assert message["Subject"] == "Transcript ready: keynote.mp3"
    body = message["Message"]
    assert f"s3://{MEDIA_BUCKET}/{TALK}" in body
    assert "Language: en-US" in body
    assert "Duration: 0:13" in body  # the last word ends at 12.80 s
    assert "Speakers: 2" in body
    for key in (
        naming.transcript_key(PREFIX, TALK),
        naming.text_key(PREFIX, TALK),
        naming.subtitle_key(PREFIX, TALK, "srt"),
        naming.subtitle_key(PREFIX, TALK, "vtt"),
    ):
        assert f"s3://{TRANSCRIPT_BUCKET}/{key}" in body
    publish = dict(stack.calls)["Publish"]
    assert publish["TopicArn"] == stack.topic_arn


def test_nothing_is_published_when_the_topic_is_off(stack):
    job_name = stack.upload(TALK)
    stack.complete(job_name, output(job_name, spoken("Quiet.")))

    stack.run(job_state_change(job_name), topic=False)
    failed_name = stack.upload("other.mp3")
    stack.fail(failed_name, "The media file is corrupt.")
    stack.run(job_state_change(failed_name, "FAILED"), topic=False)

    assert "Publish" not in operations(stack)
    assert stack.published() == []
    assert naming.text_key(PREFIX, TALK) in stack.output_objects()


def test_failed_job_leaves_an_error_note_where_the_transcript_would_be(stack):
    job_name = stack.upload(TALK)
    stack.fail(job_name, "The media format provided does not match the detected media format.")

    result = stack.run(job_state_change(job_name, "FAILED", FailureReason="(event's copy)"))

    assert result == {"jobName": job_name, "outcome": "failure-recorded"}
    error_key = naming.error_key(PREFIX, TALK)
    assert error_key == "transcripts/talks/keynote.mp3.error.json"
    assert set(stack.output_objects()) == {error_key}
    assert json.loads(stack.read(error_key)) == {
        "media": f"s3://{MEDIA_BUCKET}/{TALK}",
        "jobName": job_name,
        "reason": "The media format provided does not match the detected media format.",
        "time": FAILED_AT.isoformat(timespec="seconds"),
    }
    head = stack.s3.head_object(Bucket=TRANSCRIPT_BUCKET, Key=error_key)
    assert head["ContentType"] == "application/json"


def test_failure_reason_comes_from_the_event_when_the_job_has_none(stack):
    job_name = stack.upload(TALK)
    stack.fail(job_name, None)

    stack.run(job_state_change(job_name, "FAILED", FailureReason="Unsupported audio codec."))

    assert json.loads(stack.read(naming.error_key(PREFIX, TALK)))["reason"] == "Unsupported audio codec."


def test_error_note_has_the_upload_handler_s_format(stack):
    stack.upload("huge.wav", size=naming.MAX_MEDIA_BYTES)  # the handler rejects it: its own note
    handler_note = json.loads(stack.read(naming.error_key(PREFIX, "huge.wav")))
    job_name = stack.upload(TALK)
    stack.fail(job_name, "Internal failure.")

    stack.run(job_state_change(job_name, "FAILED"))

    our_note = json.loads(stack.read(naming.error_key(PREFIX, TALK)))
    assert list(our_note) == list(handler_note)
    iso_utc_seconds = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
    assert iso_utc_seconds.fullmatch(our_note["time"]) and iso_utc_seconds.fullmatch(handler_note["time"])


def test_notification_for_a_failure_gives_the_reason_and_the_note(stack):
    job_name = stack.upload("Café talk.mp3")
    stack.fail(job_name, "Your audio is too short.")

    stack.run(job_state_change(job_name, "FAILED"), topic=True)

    (message,) = stack.published()
    assert message["Subject"] == "Transcription failed: Cafe talk.mp3"
    assert "Reason: Your audio is too short." in message["Message"]
    assert f"s3://{MEDIA_BUCKET}/Café talk.mp3" in message["Message"]
    assert f"s3://{TRANSCRIPT_BUCKET}/{naming.error_key(PREFIX, 'Café talk.mp3')}" in message["Message"]


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED"])
def test_a_repeated_event_rewrites_the_same_objects(stack, status):
    job_name = stack.upload(TALK, speakers=2)
    if status == "COMPLETED":
        stack.complete(job_name, documented_sample(job_name))
    else:
        stack.fail(job_name, "Internal failure.")
    event = job_state_change(job_name, status)

    first = stack.run(event)
    objects = stack.output_objects()
    second = stack.run(event)

    assert first == second
    assert stack.output_objects() == objects
    assert len(objects) == (2 if status == "COMPLETED" else 1)


def test_a_job_transcribe_cannot_find_is_logged_and_ignored(stack, caplog):
    job_name = f"{JOB_NAME_PREFIX}deleted-job-0123456789abcdef"

    with caplog.at_level(logging.INFO):
        result = stack.run(job_state_change(job_name, "COMPLETED"))

    assert result == {"jobName": job_name, "outcome": "not-found"}
    assert operations(stack) == ["GetTranscriptionJob"]
    assert stack.output_objects() == {}
    (record,) = [r for r in caplog.records if getattr(r, "outcome", None) == "not-found"]
    assert record.jobName == job_name and record.levelno == logging.WARNING


def test_another_stack_s_job_is_ignored_without_asking_transcribe(stack, caplog):
    with caplog.at_level(logging.INFO):
        result = stack.run(job_state_change("transcribe-pipeline-prod-1a2b3c-talk-mp3-0123456789abcdef"))

    assert result["outcome"] == "ignored"
    assert stack.calls == []
    assert any(getattr(r, "outcome", None) == "ignored" for r in caplog.records)


def test_a_transcript_uri_elsewhere_is_logged_and_the_named_key_still_read(stack, caplog):
    job_name = stack.upload(TALK)
    stack.complete(job_name, output(job_name, spoken("Still here.")))
    moved = "https://s3.us-east-1.amazonaws.com/somewhere-else/asrOutput.json"
    transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name].transcript = {"TranscriptFileUri": moved}

    with caplog.at_level(logging.INFO):
        assert stack.run(job_state_change(job_name))["outcome"] == "transcribed"

    assert stack.read(naming.text_key(PREFIX, TALK)) == "Still here.\n"
    (record,) = [r for r in caplog.records if getattr(r, "outcome", None) == "uri-mismatch"]
    assert moved in record.getMessage() and record.levelno == logging.WARNING


def test_a_missing_transcript_file_raises_so_the_event_is_retried(stack):
    job_name = stack.upload(TALK)
    stack.complete(job_name, document=None)

    with pytest.raises(ClientError) as error:
        stack.run(job_state_change(job_name))

    assert error.value.response["Error"]["Code"] == "NoSuchKey"
    assert stack.output_objects() == {}


def test_a_transcript_file_that_is_not_transcribe_s_json_raises(stack):
    job_name = stack.upload(TALK)
    job = stack.complete(job_name, document=None)
    stack.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key=naming.transcript_key(PREFIX, TALK), Body=b"<html>oops</html>")

    with pytest.raises(ValueError, match="is not Transcribe's JSON output"):
        stack.run(job_state_change(job_name))
    assert job["TranscriptionJobStatus"] == "COMPLETED"


def test_a_note_that_cannot_be_written_raises(stack):
    job_name = stack.upload(TALK)
    stack.fail(job_name, "Internal failure.")
    assert stack.output_objects() == {}
    stack.s3.delete_bucket(Bucket=TRANSCRIPT_BUCKET)

    with pytest.raises(ClientError) as error:
        stack.run(job_state_change(job_name, "FAILED"))

    assert error.value.response["Error"]["Code"] == "NoSuchBucket"


def test_a_job_transcribe_says_is_still_running_raises(stack):
    # Each GetTranscriptionJob moves the job one state on: the first one finds it QUEUED.
    state_manager.set_transition("transcribe::transcriptionjob", {"progression": "manual", "times": 1})
    try:
        job_name = stack.upload(TALK)
        with pytest.raises(RuntimeError, match="is QUEUED although the event says COMPLETED"):
            stack.run(job_state_change(job_name, "COMPLETED"))
    finally:
        state_manager.unset_transition("transcribe::transcriptionjob")
    assert stack.output_objects() == {}


@pytest.mark.parametrize("status", ["IN_PROGRESS", "QUEUED"])
def test_states_that_are_not_an_end_are_skipped(stack, status):
    job_name = stack.upload(TALK)

    assert stack.run(job_state_change(job_name, status))["outcome"] == "skipped"
    assert stack.calls == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "not from aws.transcribe"),
        ({"Records": []}, "not from aws.transcribe"),
        (
            {"source": "aws.transcribe", "detail-type": "Call Analytics Job State Change", "detail": {}},
            "expected a 'Transcribe Job State Change'",
        ),
        ({"source": "aws.transcribe", "detail-type": "Transcribe Job State Change"}, "has no detail object"),
        ({**job_state_change("x"), "detail": {"TranscriptionJobStatus": "COMPLETED"}}, "needs TranscriptionJobName"),
        ({**job_state_change("x"), "detail": {"TranscriptionJobName": "x"}}, "needs TranscriptionJobName"),
    ],
)
def test_events_that_are_not_job_state_changes_raise_one_line_errors(stack, event, message):
    with pytest.raises(ValueError, match=message) as error:
        stack.run(event)
    assert "\n" not in str(error.value)
    assert stack.calls == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OUTPUT_BUCKET": ""}, "OUTPUT_BUCKET is not set"),
        ({"OUTPUT_PREFIX": "/transcripts/"}, "OUTPUT_PREFIX '/transcripts/' is invalid"),
        ({"JOB_NAME_PREFIX": "-bad prefix"}, "JOB_NAME_PREFIX '-bad prefix' is invalid"),
        ({"TOPIC_ARN": "transcripts-topic"}, "TOPIC_ARN 'transcripts-topic' is not an SNS topic ARN"),
    ],
)
def test_a_bad_environment_fails_at_import_with_one_line(stack, env, message):
    for name, value in env.items():
        stack.monkeypatch.setenv(name, value)

    with pytest.raises(ValueError, match=re.escape(message)) as error:
        fresh_import("completion")
    assert "\n" not in str(error.value)
