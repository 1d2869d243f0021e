"""The upload handler against moto's S3 and Transcribe, with S3-shaped events."""

import json
import logging
import time
import urllib.parse

import pytest
from moto.core.exceptions import JsonRESTError
from moto.transcribe.models import TranscribeBackend

from lambda_env import fresh_import
from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET, s3_event, s3_record, s3_test_event

from function import naming


def only_job(pipeline) -> dict:
    (job,) = pipeline.jobs()
    return job


def test_every_record_of_the_event_starts_its_own_job(pipeline):
    event = s3_event(s3_record("one.mp3"), s3_record("two.wav"), s3_record("three.mp4"))
    assert pipeline.handler.lambda_handler(event, None) == {"started": 3}
    media = {job["Media"]["MediaFileUri"] for job in pipeline.jobs()}
    assert media == {f"s3://{MEDIA_BUCKET}/{k}" for k in ("one.mp3", "two.wav", "three.mp4")}


@pytest.mark.parametrize(
    "record",
    [
        s3_record("talk.mp3", event_name="ObjectRemoved:Delete"),
        s3_record("talk.mp3", event_name="ObjectRestore:Completed"),
        s3_record("folder.mp3/", size=0),
        s3_record("photo.jpg"),
        s3_record("notes.txt"),
        s3_record("movie.mov"),
        s3_record("noextension"),
    ],
    ids=["delete", "restore", "folder-marker", "jpg", "txt", "mov", "no-extension"],
)
def test_records_that_are_not_media_uploads_are_skipped_with_an_info_line(pipeline, record, caplog):
    caplog.set_level(logging.INFO)
    assert pipeline.handler.lambda_handler(s3_event(record), None) == {"skipped": 1}
    assert pipeline.job_names() == set()
    (line,) = [r for r in caplog.records if getattr(r, "outcome", None) == "skipped"]
    assert line.levelno == logging.INFO
    assert line.key == urllib.parse.unquote_plus(record["s3"]["object"]["key"])


def test_s3_test_event_is_skipped(pipeline):
    assert pipeline.handler.lambda_handler(s3_test_event(), None) == {}
    assert pipeline.job_names() == set()


@pytest.mark.parametrize(
    "key",
    ["my talk.mp3", "team/2026/stand up (final).mp3", "Ünïcödé/会议 🎙.m4a", "a+b=c&d.wav", "100%.flac"],
)
@pytest.mark.parametrize("keep_slashes", [False, True], ids=["slashes-escaped", "slashes-kept"])
def test_keys_are_decoded_the_way_s3_encodes_them(pipeline, key, keep_slashes):
    pipeline.handler.lambda_handler(s3_event(s3_record(key, keep_slashes=keep_slashes)), None)
    job = only_job(pipeline)
    assert job["Media"]["MediaFileUri"] == f"s3://{MEDIA_BUCKET}/{key}"


@pytest.mark.parametrize("key, media_format", [("LOUD.MP3", "mp3"), ("clip.M4a", "m4a"), ("x.WebM", "webm"), ("y.Flac", "flac")])
def test_media_format_comes_from_the_extension_in_any_case(pipeline, key, media_format):
    pipeline.handler.lambda_handler(s3_event(s3_record(key)), None)
    assert only_job(pipeline)["MediaFormat"] == media_format


@pytest.mark.parametrize("key", ["Ünïcödé/会议 🎙.m4a", "x" * 1000 + ".mp3", "###.ogg", "a" * 600 + "/" + "b" * 400 + ".wav"])
def test_job_name_and_output_key_are_valid_for_awkward_keys(pipeline, key):
    # The pipeline fixture checks every request against botocore's model, patterns included.
    pipeline.handler.lambda_handler(s3_event(s3_record(key)), None)
    (request,) = pipeline.requests
    assert request["TranscriptionJobName"].startswith("transcribe-pipeline-test-abc123-")


def test_job_name_is_the_same_for_a_repeated_delivery_and_new_for_a_re_upload(pipeline):
    first = s3_record("talk.mp3", sequencer="0062E99A88DC407460")
    again = s3_record("talk.mp3", sequencer="0062E99A88DC407460")
    re_upload = s3_record("talk.mp3", sequencer="0062E99A88DC407999")
    for record in (first, again, re_upload):
        pipeline.handler.lambda_handler(s3_event(record), None)
    names = [r["TranscriptionJobName"] for r in pipeline.requests]
    assert names[0] == names[1] != names[2]
    assert len(pipeline.job_names()) == 2


def test_keys_that_look_alike_once_cleaned_get_their_own_jobs(pipeline):
    keys = ["a b.mp3", "a_b.mp3", "A B.mp3"]
    pipeline.handler.lambda_handler(s3_event(*(s3_record(k) for k in keys)), None)
    assert len(pipeline.job_names()) == 3
    assert len({r["OutputKey"] for r in pipeline.requests}) == 3


def test_without_a_sequencer_the_version_id_then_the_etag_tell_uploads_apart(pipeline):
    records = [
        s3_record("v.mp3", sequencer=None, version_id="v1", etag="same"),
        s3_record("v.mp3", sequencer=None, version_id="v2", etag="same"),
        s3_record("e.mp3", sequencer=None, etag="etag-1"),
        s3_record("e.mp3", sequencer=None, etag="etag-2"),
    ]
    pipeline.handler.lambda_handler(s3_event(*records), None)
    assert len(pipeline.job_names()) == 4


def test_a_repeated_delivery_counts_as_already_started(pipeline, caplog):
    caplog.set_level(logging.INFO)
    event = s3_event(s3_record("talk.mp3"))
    assert pipeline.handler.lambda_handler(event, None) == {"started": 1}
    assert pipeline.handler.lambda_handler(event, None) == {"duplicate": 1}
    assert len(pipeline.job_names()) == 1
    assert [r.outcome for r in caplog.records if hasattr(r, "outcome")] == ["started", "duplicate"]


def test_transcript_goes_to_the_output_bucket_under_the_output_prefix_mirroring_the_key(pipeline):
    pipeline.handler.lambda_handler(s3_event(s3_record("team/2026/standup.mp3")), None)
    (request,) = pipeline.requests
    assert request["OutputBucketName"] == TRANSCRIPT_BUCKET
    assert request["OutputKey"] == "transcripts/team/2026/standup.mp3.json"
    assert request["OutputKey"] == naming.transcript_key("transcripts/", "team/2026/standup.mp3")


def test_default_job_uses_the_configured_language_and_tags_the_job(pipeline):
    pipeline.handler.lambda_handler(s3_event(s3_record("talk.mp3")), None)
    (request,) = pipeline.requests
    assert request["LanguageCode"] == "en-US"
    assert "IdentifyLanguage" not in request
    assert {t["Key"]: t["Value"] for t in request["Tags"]} == {
        "project": "transcribe-pipeline", "stack": "test", "media-key": "talk.mp3"
    }  # fmt: skip
    for absent in ("Subtitles", "Settings", "JobExecutionSettings"):
        assert absent not in request


def test_options_from_the_environment_shape_the_job(aws_credentials, handler_env):
    handler_env.setenv("LANGUAGE_CODE", "auto")
    handler_env.setenv("LANGUAGE_OPTIONS", "en-US, es-US")
    handler_env.setenv("SUBTITLE_FORMATS", "srt,vtt")
    handler_env.setenv("MAX_SPEAKERS", "4")
    handler_env.setenv("DATA_ACCESS_ROLE_ARN", "arn:aws:iam::123456789012:role/transcribe-access")
    handler = fresh_import("handler")
    request = handler.job_request(handler.Upload(MEDIA_BUCKET, "talk.mp3", "seq", 10), "job", "mp3", handler.SETTINGS)
    from aws_model import assert_valid_request

    assert_valid_request("transcribe", "StartTranscriptionJob", request)
    assert request["IdentifyLanguage"] is True and "LanguageCode" not in request
    assert request["LanguageOptions"] == ["en-US", "es-US"]
    assert request["Subtitles"] == {"Formats": ["srt", "vtt"], "OutputStartIndex": 1}
    assert request["Settings"] == {"ShowSpeakerLabels": True, "MaxSpeakerLabels": 4}
    assert request["JobExecutionSettings"] == {
        "AllowDeferredExecution": True,
        "DataAccessRoleArn": "arn:aws:iam::123456789012:role/transcribe-access",
    }


def test_media_too_big_for_transcribe_gets_an_error_note_instead_of_a_job(pipeline):
    size = naming.MAX_MEDIA_BYTES + 1
    assert pipeline.handler.lambda_handler(s3_event(s3_record("huge.mp4", size=size)), None) == {"rejected": 1}
    assert pipeline.job_names() == set()
    body = pipeline.s3.get_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/huge.mp4.error.json")["Body"].read()
    note = json.loads(body)
    assert note["media"] == f"s3://{MEDIA_BUCKET}/huge.mp4"
    assert str(size) in note["reason"] and "2 GB" in note["reason"]
    assert note["jobName"].startswith("transcribe-pipeline-test-abc123-")


# --- failures: nothing is lost -----------------------------------------------------------------


class LimitExceeded(JsonRESTError):
    def __init__(self):
        super().__init__("LimitExceededException", "You have exceeded the rate limit for StartTranscriptionJob.")


class BadRequest(JsonRESTError):
    def __init__(self, message):
        super().__init__("BadRequestException", message)


@pytest.fixture
def sleeps(monkeypatch):
    """botocore's backoff, recorded instead of slept."""
    recorded = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


def make_transcribe_fail(monkeypatch, fail_for):
    """moto's Transcribe raises what `fail_for(job_name, call_number)` returns (or starts the job)."""
    original = TranscribeBackend.start_transcription_job
    calls = []

    def start(self, transcription_job_name, *args, **kwargs):
        calls.append(transcription_job_name)
        error = fail_for(transcription_job_name, len(calls))
        if error:
            raise error
        return original(self, transcription_job_name, *args, **kwargs)

    monkeypatch.setattr(TranscribeBackend, "start_transcription_job", start)
    return calls


def test_throttling_is_retried_until_the_job_starts(pipeline, monkeypatch, sleeps):
    calls = make_transcribe_fail(monkeypatch, lambda name, n: LimitExceeded() if n <= 3 else None)
    assert pipeline.handler.lambda_handler(s3_event(s3_record("talk.mp3")), None) == {"started": 1}
    assert len(calls) == 4
    assert len(sleeps) == 3
    assert len(pipeline.job_names()) == 1


def test_an_upload_still_throttled_fails_the_invocation_after_the_others_are_done(pipeline, monkeypatch, sleeps):
    throttled_key = "busy.mp3"
    calls = make_transcribe_fail(monkeypatch, lambda name, n: LimitExceeded() if "busy" in name else None)
    event = s3_event(s3_record("first.mp3"), s3_record(throttled_key), s3_record("last.mp3"))
    with pytest.raises(pipeline.handler.UploadsNotStarted) as raised:
        pipeline.handler.lambda_handler(event, None)
    assert "1 of 3 uploads not started" in str(raised.value) and throttled_key in str(raised.value)
    started = {job["Media"]["MediaFileUri"].rsplit("/", 1)[1] for job in pipeline.jobs()}
    assert started == {"first.mp3", "last.mp3"}
    assert len([name for name in calls if "busy" in name]) == 6, "six attempts in all, then Lambda's turn"
    assert len(sleeps) == 5


def test_lambdas_retry_of_a_half_done_event_starts_only_what_was_missing(pipeline, monkeypatch, sleeps):
    throttle = {"on": True}
    make_transcribe_fail(monkeypatch, lambda name, n: LimitExceeded() if throttle["on"] and "busy" in name else None)
    event = s3_event(s3_record("first.mp3"), s3_record("busy.mp3"))
    with pytest.raises(pipeline.handler.UploadsNotStarted):
        pipeline.handler.lambda_handler(event, None)
    throttle["on"] = False
    assert pipeline.handler.lambda_handler(event, None) == {"duplicate": 1, "started": 1}
    assert len(pipeline.job_names()) == 2


def test_a_rejected_upload_gets_an_error_note_and_the_others_go_on(pipeline, monkeypatch):
    message = "The language code en-US doesn't support the media sample rate of 4000 Hz."
    make_transcribe_fail(monkeypatch, lambda name, n: BadRequest(message) if "broken" in name else None)
    event = s3_event(s3_record("broken.mp3"), s3_record("fine.mp3"))
    assert pipeline.handler.lambda_handler(event, None) == {"rejected": 1, "started": 1}
    note = json.loads(pipeline.s3.get_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/broken.mp3.error.json")["Body"].read())
    assert note["reason"] == message


@pytest.mark.parametrize(
    "message",
    [
        "The S3 URI that you provided can't be accessed. Make sure that you have read permission and try your request again.",
        "Amazon Transcribe can't assume the data access role. Check the role and try again.",
    ],
)
def test_a_refusal_for_lack_of_access_is_retried_not_written_off(pipeline, monkeypatch, message):
    make_transcribe_fail(monkeypatch, lambda name, n: BadRequest(message))
    with pytest.raises(pipeline.handler.UploadsNotStarted):
        pipeline.handler.lambda_handler(s3_event(s3_record("talk.mp3")), None)
    listed = pipeline.s3.list_objects_v2(Bucket=TRANSCRIPT_BUCKET).get("Contents", [])
    assert listed == []


class Throttling(JsonRESTError):
    def __init__(self):
        super().__init__("ThrottlingException", "Rate exceeded")


def test_throttling_exception_is_retried_too(pipeline, monkeypatch, sleeps):
    calls = make_transcribe_fail(monkeypatch, lambda name, n: Throttling() if n <= 2 else None)
    assert pipeline.handler.lambda_handler(s3_event(s3_record("talk.mp3")), None) == {"started": 1}
    assert len(calls) == 3 and len(sleeps) == 2


def test_an_error_note_that_cannot_be_written_fails_the_invocation(pipeline, monkeypatch):
    make_transcribe_fail(monkeypatch, lambda name, n: BadRequest("bad media"))
    pipeline.s3.delete_bucket(Bucket=TRANSCRIPT_BUCKET)
    with pytest.raises(pipeline.handler.UploadsNotStarted):
        pipeline.handler.lambda_handler(s3_event(s3_record("broken.mp3")), None)


@pytest.mark.parametrize("event", [{}, {"Records": "nope"}, ["not", "a", "dict"], {"detail-type": "Object Created"}])
def test_an_event_that_is_not_an_s3_notification_is_refused_in_one_line(pipeline, event):
    with pytest.raises(pipeline.handler.BadRecord) as raised:
        pipeline.handler.lambda_handler(event, None)
    assert str(raised.value) == "event is not an S3 notification: it has no Records list"


def test_a_malformed_record_fails_the_invocation_but_not_the_other_records(pipeline):
    broken = {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": MEDIA_BUCKET}}}
    no_identity = s3_record("anonymous.mp3", sequencer=None, etag=None)
    with pytest.raises(pipeline.handler.UploadsNotStarted) as raised:
        pipeline.handler.lambda_handler(s3_event(broken, s3_record("good.mp3"), no_identity), None)
    assert "2 of 3" in str(raised.value)
    assert "record #0" in str(raised.value) and "anonymous.mp3" in str(raised.value)
    assert len(pipeline.job_names()) == 1


def test_one_structured_log_line_per_record(pipeline, caplog):
    caplog.set_level(logging.INFO)
    pipeline.handler.lambda_handler(s3_event(s3_record("a.mp3"), s3_record("b.jpg"), s3_record("c.wav")), None)
    lines = [r for r in caplog.records if hasattr(r, "outcome")]
    assert [(r.key, r.outcome) for r in lines] == [("a.mp3", "started"), ("b.jpg", "skipped"), ("c.wav", "started")]
    assert lines[0].jobName in pipeline.job_names()


# --- environment -------------------------------------------------------------------------------


def test_output_bucket_is_the_only_required_variable(aws_credentials, monkeypatch):
    for name in ("OUTPUT_PREFIX", "LANGUAGE_CODE", "LANGUAGE_OPTIONS", "SUBTITLE_FORMATS", "MAX_SPEAKERS",
                 "DATA_ACCESS_ROLE_ARN", "JOB_NAME_PREFIX", "JOB_TAGS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OUTPUT_BUCKET", raising=False)
    with pytest.raises(ValueError, match="^OUTPUT_BUCKET is not set: it must name the bucket for transcripts$"):
        fresh_import("handler")
    monkeypatch.setenv("OUTPUT_BUCKET", "somewhere")
    settings = fresh_import("handler").SETTINGS
    assert (settings.output_prefix, settings.language_code, settings.job_name_prefix) == ("transcripts/", "en-US", "transcribe-")


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("SUBTITLE_FORMATS", "srt,txt", "SUBTITLE_FORMATS has ['txt']: allowed are srt and vtt"),
        ("MAX_SPEAKERS", "1", "MAX_SPEAKERS is 1: use 0 (off) or 2 to 30"),
        ("MAX_SPEAKERS", "many", "MAX_SPEAKERS is 'many': it must be a whole number"),
        ("OUTPUT_PREFIX", "my transcripts/", "OUTPUT_PREFIX 'my transcripts/' is invalid"),
        ("JOB_NAME_PREFIX", "bad prefix", "JOB_NAME_PREFIX 'bad prefix' is invalid"),
        ("JOB_TAGS", "[1]", "JOB_TAGS is '[1]': it must be a JSON object of strings"),
    ],
)
def test_a_bad_environment_fails_at_start_with_one_line(aws_credentials, handler_env, name, value, message):
    handler_env.setenv(name, value)
    with pytest.raises(ValueError) as raised:
        fresh_import("handler")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
