"""The upload handler against moto's S3, SQS and Transcribe: S3-shaped notifications go into a
moto queue and come to the handler as the batch SQS hands out (see tests/esm.py)."""

import dataclasses
import json
import logging
import urllib.parse
from pathlib import Path

import job_request
import pytest
from moto.core.exceptions import JsonRESTError
from moto.transcribe.models import TranscribeBackend

from lambda_env import fresh_import
from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET, s3_event, s3_record, s3_test_event

from function import naming
import esm
import sqs_batch

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "aws-samples"


def only_job(pipeline) -> dict:
    (job,) = pipeline.jobs()
    return job


def test_every_record_of_the_event_starts_its_own_job(pipeline):
    event = s3_event(s3_record("one.mp3"), s3_record("two.wav"), s3_record("three.mp4"))
    assert pipeline.deliver(event) == set()
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
    assert pipeline.deliver(s3_event(record)) == set()
    assert pipeline.job_names() == set() and pipeline.queued() == 0
    (line,) = [r for r in caplog.records if getattr(r, "outcome", None) == "skipped"]
    assert line.levelno == logging.INFO
    assert line.key == urllib.parse.unquote_plus(record["s3"]["object"]["key"])


def test_s3_test_event_is_skipped(pipeline):
    assert pipeline.deliver(s3_test_event()) == set()
    assert pipeline.job_names() == set() and pipeline.dead_letters() == []


@pytest.mark.parametrize(
    "key",
    ["my talk.mp3", "team/2026/stand up (final).mp3", "Ünïcödé/会议 🎙.m4a", "a+b=c&d.wav", "100%.flac"],
)
@pytest.mark.parametrize("keep_slashes", [False, True], ids=["slashes-escaped", "slashes-kept"])
def test_keys_are_decoded_the_way_s3_encodes_them(pipeline, key, keep_slashes):
    pipeline.deliver(s3_event(s3_record(key, keep_slashes=keep_slashes)))
    job = only_job(pipeline)
    assert job["Media"]["MediaFileUri"] == f"s3://{MEDIA_BUCKET}/{key}"


@pytest.mark.parametrize("key, media_format", [("LOUD.MP3", "mp3"), ("clip.M4a", "m4a"), ("x.WebM", "webm"), ("y.Flac", "flac")])
def test_media_format_comes_from_the_extension_in_any_case(pipeline, key, media_format):
    pipeline.deliver(s3_event(s3_record(key)))
    assert only_job(pipeline)["MediaFormat"] == media_format


@pytest.mark.parametrize("key", ["Ünïcödé/会议 🎙.m4a", "x" * 1000 + ".mp3", "###.ogg", "a" * 600 + "/" + "b" * 400 + ".wav"])
def test_job_name_and_output_key_are_valid_for_awkward_keys(pipeline, key):
    # The pipeline fixture checks every request against botocore's model, patterns included.
    pipeline.deliver(s3_event(s3_record(key)))
    (request,) = pipeline.requests
    assert request["TranscriptionJobName"].startswith("transcribe-pipeline-test-abc123-")


def test_a_re_upload_with_other_content_gets_a_new_job_and_an_identical_one_does_not(pipeline):
    first = s3_record("talk.mp3", sequencer="0062E99A88DC407460", etag="aaaa")
    identical = s3_record("talk.mp3", sequencer="0062E99A88DC407999", etag="aaaa")
    changed = s3_record("talk.mp3", sequencer="0062E99A88DC408000", etag="bbbb")
    resized = s3_record("talk.mp3", sequencer="0062E99A88DC408001", etag="bbbb", size=99)
    for record in (first, identical, changed, resized):
        assert pipeline.deliver(s3_event(record)) == set()
    assert len(pipeline.requests) == 3, "the identical re-upload is the same version: no call at all"
    assert len({r["TranscriptionJobName"] for r in pipeline.requests}) == 3
    versions = {(item["version"], item["state"]) for item in pipeline.ledger()}
    assert versions == {("48000-aaaa", "started"), ("48000-bbbb", "started"), ("99-bbbb", "started")}


def test_keys_that_look_alike_once_cleaned_get_their_own_jobs(pipeline):
    keys = ["a b.mp3", "a_b.mp3", "A B.mp3"]
    pipeline.deliver(s3_event(*(s3_record(k) for k in keys)))
    assert len(pipeline.job_names()) == 3
    assert len({r["OutputKey"] for r in pipeline.requests}) == 3


def test_the_version_is_size_and_etag_whatever_the_sequencer_or_version_id(pipeline):
    records = [
        s3_record("v.mp3", sequencer=None, version_id="v1", etag="same"),
        s3_record("v.mp3", sequencer="0062E99A88DC409999", version_id="v2", etag='"same"'),
        s3_record("e.mp3", sequencer=None, etag="etag-1"),
        s3_record("e.mp3", sequencer=None, etag="etag-2"),
    ]
    pipeline.deliver(s3_event(*records))
    assert len(pipeline.job_names()) == 3


def test_a_repeated_delivery_counts_as_already_started(pipeline, caplog):
    caplog.set_level(logging.INFO)
    event = s3_event(s3_record("talk.mp3"))
    assert pipeline.deliver(event) == set()
    assert pipeline.deliver(event) == set()
    assert len(pipeline.job_names()) == 1 and pipeline.queued() == 0
    assert [r.outcome for r in caplog.records if hasattr(r, "outcome")] == ["started", "duplicate"]


def test_transcript_goes_to_the_output_bucket_under_the_output_prefix_mirroring_the_key(pipeline):
    pipeline.deliver(s3_event(s3_record("team/2026/standup.mp3")))
    (request,) = pipeline.requests
    assert request["OutputBucketName"] == TRANSCRIPT_BUCKET
    assert request["OutputKey"] == "transcripts/team/2026/standup.mp3.json"
    assert request["OutputKey"] == naming.transcript_key("transcripts/", "team/2026/standup.mp3")


def test_default_job_uses_the_configured_language_and_tags_the_job(pipeline):
    pipeline.deliver(s3_event(s3_record("talk.mp3")))
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
    request = job_request.job_request(MEDIA_BUCKET, "talk.mp3", "job", handler.SETTINGS)
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
    assert pipeline.deliver(s3_event(s3_record("huge.mp4", size=size))) == set()
    assert pipeline.job_names() == set() and pipeline.dead_letters() == []
    body = pipeline.s3.get_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/huge.mp4.error.json")["Body"].read()
    note = json.loads(body)
    assert note["media"] == f"s3://{MEDIA_BUCKET}/huge.mp4"
    assert str(size) in note["reason"] and "2 GB" in note["reason"]
    assert note["jobName"].startswith("transcribe-pipeline-test-abc123-")


# --- back-pressure and failures: nothing is lost ------------------------------------------------


class TranscribeError(JsonRESTError):
    def __init__(self, code: str, message: str):
        super().__init__(code, message)


def throttled():
    return TranscribeError("LimitExceededException", "You have exceeded the rate limit for StartTranscriptionJob.")


def throttling():
    return TranscribeError("ThrottlingException", "Rate exceeded")


def queue_full():
    # Transcribe's docs on job queueing: past 10,000 queued jobs, StartTranscriptionJob answers this.
    return TranscribeError("LimitExceededConcurrentJobException", "You have reached the maximum number of queued jobs.")


def bad_request(message: str):
    return TranscribeError("BadRequestException", message)


REFUSALS_NOT_ABOUT_THE_MEDIA = [
    "The S3 URI that you provided can't be accessed. Make sure that you have read permission and try your request again.",
    "Amazon Transcribe can't assume the data access role. Check the role and try again.",
    "The requested vocabulary couldn't be found. Check the vocabulary name and try your request again.",
]


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


def visibility_changes(pipeline) -> list[int]:
    """The VisibilityTimeout of every message the handler hands back."""
    changes = []
    pipeline.handler.sqs().meta.events.register(
        "provide-client-params.sqs.ChangeMessageVisibilityBatch",
        lambda params, **_: changes.extend(entry["VisibilityTimeout"] for entry in params["Entries"]),
    )
    return changes


def dead_letter_codes(pipeline) -> list[str]:
    return [m["MessageAttributes"]["ERROR_CODE"]["StringValue"] for m in pipeline.dead_letters()]


@pytest.mark.parametrize("error", [throttled, throttling, queue_full], ids=["LimitExceeded", "Throttling", "queue-full"])
def test_back_pressure_holds_the_batch_and_retries_until_the_job_starts(pipeline, monkeypatch, error):
    calls = make_transcribe_fail(monkeypatch, lambda name, n: error() if n <= 3 else None)
    assert pipeline.deliver(s3_event(s3_record("talk.mp3"))) == set()
    assert len(calls) == 4, "botocore makes one attempt; the handler's own retries make the rest"
    assert len(pipeline.job_names()) == 1
    assert pipeline.queued() == 0 and pipeline.dead_letters() == []
    waits = [s for s in pipeline.clock.sleeps if s > 0]
    assert len(waits) == 3 and all(a <= 2 * b for a, b in zip(waits, waits[1:]))
    low = pipeline.handler.QUEUE_FULL_WAIT[0] if error is queue_full else pipeline.handler.THROTTLE_WAIT[0]
    assert waits[0] >= low / 2


def test_back_pressure_that_outlasts_the_invocation_hands_every_message_back_with_a_backoff(pipeline, monkeypatch):
    throttle = {"on": True}
    make_transcribe_fail(monkeypatch, lambda name, n: queue_full() if throttle["on"] else None)
    changes = visibility_changes(pipeline)
    events = [s3_event(s3_record(f"talk-{n}.mp3")) for n in range(3)]
    started = pipeline.clock.monotonic()

    failed = pipeline.deliver(*events, seconds=40)

    assert len(failed) == 3, "every unstarted message is reported"
    margin = min(pipeline.handler.SAFETY_MARGIN, 40 / 3)
    assert pipeline.clock.monotonic() - started <= 40 - margin, "it stops a safety margin before its time is up"
    assert changes == [60, 60, 60], "nothing started: a minute's backoff on the first receive"
    assert pipeline.dead_letters() == [] and pipeline.queued() == 3
    throttle["on"] = False
    pipeline.later()
    assert pipeline.poll()[2] == set()
    assert len(pipeline.job_names()) == 3 and pipeline.queued() == 0


def test_a_batch_cut_short_reports_exactly_the_unstarted_messages_and_they_come_back_at_once(pipeline, monkeypatch):
    make_transcribe_fail(monkeypatch, lambda name, n: throttled() if n > 2 else None)
    changes = visibility_changes(pipeline)
    pipeline.send(*(s3_event(s3_record(f"talk-{n}.mp3")) for n in range(5)))
    event, _, failed = pipeline.poll(seconds=20)
    ids = [record["messageId"] for record in event["Records"]]
    assert failed == set(ids[2:])
    assert changes == [0, 0, 0], "jobs were starting: no reason to wait"
    started = {job["Media"]["MediaFileUri"] for job in pipeline.jobs()}
    assert started == {f"s3://{MEDIA_BUCKET}/talk-{n}.mp3" for n in range(2)}


def test_the_backoff_grows_with_each_receive_and_stays_under_the_cap(pipeline):
    message = sqs_batch.Message("id", "{}", "arn", "handle", receive_count=1, sent_at=0)
    waits = []
    for count in range(1, 12):
        message.receive_count = count
        waits.append(sqs_batch.retry_visibility(message, progressed=False))
    low, high = sqs_batch.RETRY_VISIBILITY
    assert waits[0] == low and waits == sorted(waits) and max(waits) == high
    days = 14 * 86400
    receives_in_retention = len(waits) + (days - sum(waits)) // high
    assert receives_in_retention < 1000, "the queue's maxReceiveCount is never reached by back-pressure alone"


def test_calls_are_spaced_at_the_instances_pace(pipeline, handler_env):
    handler_env.setenv("START_RATE", "4")
    pipeline.handler = fresh_import("handler")
    pipeline.handler.clock = pipeline.clock
    times = []
    pipeline.handler.transcribe.meta.events.register(
        "before-call.transcribe.StartTranscriptionJob", lambda **_: times.append(pipeline.clock.monotonic())
    )
    assert pipeline.deliver(*(s3_event(s3_record(f"talk-{n}.mp3")) for n in range(9))) == set()
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(times) == 9 and min(gaps) >= 0.25 - 1e-9


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        "{}",
        json.dumps({"Records": "nope"}),
        (SAMPLES / "s3-events" / "powertools.s3EventBridgeNotificationObjectCreatedEvent.json").read_text(),
        json.dumps(s3_event({"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": MEDIA_BUCKET}}})),
        json.dumps(s3_event(s3_record("anonymous.mp3", sequencer=None, etag=None))),
    ],
    ids=["not-json", "empty-object", "records-not-a-list", "eventbridge-event", "record-without-key", "record-without-identity"],
)
def test_a_message_that_is_not_an_s3_notification_goes_to_the_dead_letter_queue_and_the_rest_go_on(pipeline, body):
    failed = pipeline.deliver(body, s3_event(s3_record("good.mp3")))
    assert failed == set()
    (dead,) = pipeline.dead_letters()
    assert dead["Body"] == body
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "BadMessage"
    assert "\n" not in dead["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    assert len(pipeline.job_names()) == 1 and pipeline.queued() == 0


def test_the_real_s3_put_event_from_aws_starts_a_job(pipeline):
    event = json.loads((SAMPLES / "s3-events" / "aws-sam-cli.S3Put.json").read_text())
    event["Records"][0]["s3"]["object"]["key"] = "talk.mp3"
    assert pipeline.deliver(event) == set()
    assert only_job(pipeline)["Media"]["MediaFileUri"] == f"s3://{event['Records'][0]['s3']['bucket']['name']}/talk.mp3"


@pytest.mark.parametrize("message", REFUSALS_NOT_ABOUT_THE_MEDIA, ids=["media-unreadable", "role", "vocabulary"])
def test_a_refusal_that_is_not_about_the_media_is_retried_then_dead_lettered_never_written_off(pipeline, monkeypatch, message):
    make_transcribe_fail(monkeypatch, lambda name, n: bad_request(message))
    changes = visibility_changes(pipeline)
    pipeline.send(s3_event(s3_record("talk.mp3")))
    receives = 0
    while pipeline.queued():
        pipeline.later()
        receives += 1
        pipeline.poll()
    assert receives == sqs_batch.DEAD_LETTER_AFTER_RECEIVES
    assert changes == [60, 120, 240, 480], "handed back with a growing backoff until then"
    (dead,) = pipeline.dead_letters()
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "Failed"
    assert message in dead["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]
    assert pipeline.s3.list_objects_v2(Bucket=TRANSCRIPT_BUCKET).get("Contents", []) == []


def test_an_upload_still_waiting_near_the_queue_s_retention_is_sent_again_never_dead_lettered(pipeline, monkeypatch):
    make_transcribe_fail(monkeypatch, lambda name, n: queue_full())
    pipeline.send(s3_event(s3_record("old.mp3")))
    event, _, failed = pipeline.poll(seconds=15)
    assert failed == {event["Records"][0]["messageId"]}, "young: handed back"
    pipeline.clock.now += sqs_batch.CARRY_OVER_AGE + 1
    pipeline.later()
    event, _, failed = pipeline.poll(seconds=15)
    assert failed == set(), "the old message is done with: Lambda deletes it"
    (carried,) = esm.receive_batch(pipeline.sqs, pipeline.queue_url)
    assert carried["Body"] == event["Records"][0]["body"] and carried["MessageId"] != event["Records"][0]["messageId"]
    assert pipeline.dead_letters() == []
    (item,) = pipeline.ledger()
    assert item["state"] == "queued" and float(item["due"]) > pipeline.clock.now + 11 * 86400


def test_every_old_message_carried_over_tells_the_ledger_even_one_whose_turn_never_came(pipeline, monkeypatch):
    """Back-pressure holds the batch at its first upload; both messages are old, so both are sent
    again. The ledger must learn it for both, or the reconciler sends the second once more when
    its first message's 12 days are up (found by the scale simulation: one extra copy per
    carried-over message)."""
    make_transcribe_fail(monkeypatch, lambda name, n: queue_full())
    pipeline.send(s3_event(s3_record("first.mp3")), s3_event(s3_record("second.mp3")))
    assert len(pipeline.poll(seconds=15)[2]) == 2, "young: both handed back (and recorded at their first receive)"
    pipeline.clock.now += sqs_batch.CARRY_OVER_AGE + 1
    pipeline.later()
    assert pipeline.poll(seconds=15)[2] == set(), "old: both carried over"
    assert len(esm.receive_batch(pipeline.sqs, pipeline.queue_url)) == 2
    uploads = [item for item in pipeline.ledger() if not item["media"].startswith("#")]
    assert len(uploads) == 2
    for item in uploads:
        assert item["state"] == "queued" and float(item["due"]) > pipeline.clock.now + 11 * 86400, item["key"]


@pytest.mark.parametrize("break_it", ["delete-queue", "no-url"])
def test_a_message_the_dead_letter_queue_cannot_take_is_handed_back_not_lost(pipeline, break_it):
    if break_it == "delete-queue":
        pipeline.sqs.delete_queue(QueueUrl=pipeline.dead_letter_queue_url)
    else:
        pipeline.handler.SETTINGS = dataclasses.replace(pipeline.handler.SETTINGS, dead_letter_queue_url="")
    pipeline.send("not json")
    event, response, failed = pipeline.poll()
    assert failed == {event["Records"][0]["messageId"]}
    assert pipeline.queued() == 1


def test_a_rejected_upload_gets_an_error_note_and_the_others_go_on(pipeline, monkeypatch):
    message = "The language code en-US doesn't support the media sample rate of 4000 Hz."
    make_transcribe_fail(monkeypatch, lambda name, n: bad_request(message) if "broken" in name else None)
    assert pipeline.deliver(s3_event(s3_record("broken.mp3")), s3_event(s3_record("fine.mp3"))) == set()
    note = json.loads(pipeline.s3.get_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/broken.mp3.error.json")["Body"].read())
    assert note["reason"] == message
    assert len(pipeline.job_names()) == 1 and pipeline.dead_letters() == []


def test_an_error_note_that_cannot_be_written_hands_the_message_back(pipeline, monkeypatch):
    make_transcribe_fail(monkeypatch, lambda name, n: bad_request("bad media"))
    pipeline.s3.delete_bucket(Bucket=TRANSCRIPT_BUCKET)
    event, _, failed = (pipeline.send(s3_event(s3_record("broken.mp3"))), pipeline.poll())[1]
    assert failed == {event["Records"][0]["messageId"]}
    assert pipeline.dead_letters() == []


def test_a_half_done_message_handed_back_starts_only_what_was_missing(pipeline, monkeypatch):
    throttle = {"on": True}
    make_transcribe_fail(monkeypatch, lambda name, n: throttled() if throttle["on"] and "busy" in name else None)
    pipeline.send(s3_event(s3_record("first.mp3"), s3_record("busy.mp3")))
    assert len(pipeline.poll(seconds=15)[2]) == 1
    throttle["on"] = False
    pipeline.later()
    assert pipeline.poll()[2] == set()
    assert len(pipeline.job_names()) == 2 and pipeline.queued() == 0


def test_an_event_that_is_not_an_sqs_batch_is_refused_in_one_line(pipeline):
    with pytest.raises(pipeline.handler.BadRecord, match="^event is not an SQS batch: it has no Records list$"):
        pipeline.handler.lambda_handler({"detail-type": "Object Created"}, None)


def test_one_structured_log_line_per_record(pipeline, caplog):
    caplog.set_level(logging.INFO)
    pipeline.deliver(s3_event(s3_record("a.mp3"), s3_record("b.jpg"), s3_record("c.wav")))
    lines = [r for r in caplog.records if hasattr(r, "key")]
    # Records that are not media are skipped as the message is read, before any job starts.
    assert [(r.key, r.outcome) for r in lines] == [("b.jpg", "skipped"), ("a.mp3", "started"), ("c.wav", "started")]
    assert lines[-1].jobName in pipeline.job_names()


# --- environment -------------------------------------------------------------------------------


def test_the_output_bucket_and_the_ledger_table_are_the_only_required_variables(aws_credentials, monkeypatch):
    for name in ("OUTPUT_PREFIX", "LANGUAGE_CODE", "LANGUAGE_OPTIONS", "SUBTITLE_FORMATS", "MAX_SPEAKERS",
                 "DATA_ACCESS_ROLE_ARN", "JOB_NAME_PREFIX", "JOB_TAGS", "START_RATE", "DEAD_LETTER_QUEUE_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OUTPUT_BUCKET", raising=False)
    monkeypatch.setenv("LEDGER_TABLE", "ledger")
    with pytest.raises(ValueError, match="^OUTPUT_BUCKET is not set: it must name the bucket for transcripts$"):
        fresh_import("handler")
    monkeypatch.setenv("OUTPUT_BUCKET", "somewhere")
    monkeypatch.delenv("LEDGER_TABLE")
    with pytest.raises(ValueError, match=r"^LEDGER_TABLE is not set: it must name the stack's ledger table \(DynamoDB\)$"):
        fresh_import("handler")
    monkeypatch.setenv("LEDGER_TABLE", "ledger")
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
        ("START_RATE", "fast", "START_RATE is 'fast': it must be a number"),
        ("START_RATE", "0", "START_RATE is 0: it must be more than 0 jobs per second"),
    ],
)
def test_a_bad_environment_fails_at_start_with_one_line(aws_credentials, handler_env, name, value, message):
    handler_env.setenv(name, value)
    with pytest.raises(ValueError) as raised:
        fresh_import("handler")
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
