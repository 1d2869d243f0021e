"""The ledger through the upload function, against moto's DynamoDB: however many times and ways
an upload is reported, it starts one job, and the ledger tells where each upload stands."""

import json
import time

import ledger as ledger_module
from events import MEDIA_BUCKET, s3_event, s3_record
from faults import refusing


def items_by_key(pipeline) -> dict[str, dict]:
    return {item["key"]: item for item in pipeline.ledger() if "key" in item}


def request(key: str, etag: str = "b1946ac92492d2347c6235b4d2611184", size: int = 48_000, origin: str = "backfill", **more) -> str:
    return ledger_module.request_body(MEDIA_BUCKET, key, etag, size, origin, **more)


def test_every_path_reporting_one_upload_starts_one_job(pipeline):
    event = s3_event(s3_record("talk.mp3"))
    assert pipeline.deliver(event, event, request("talk.mp3", origin="reconcile"), request("talk.mp3", origin="backfill")) == set()
    pipeline.deliver(event)
    assert len(pipeline.requests) == 1 and len(pipeline.job_names()) == 1
    item = items_by_key(pipeline)["talk.mp3"]
    assert item["state"] == "started" and item["origin"] == "s3" and item["jobName"] == pipeline.requests[0]["TranscriptionJobName"]


def test_a_quoted_etag_and_an_unquoted_one_are_the_same_version(pipeline):
    pipeline.deliver(s3_event(s3_record("q.mp3", etag="abc")), request("q.mp3", etag='"abc"'))
    assert len(pipeline.requests) == 1


def test_an_upload_is_recorded_as_queued_at_its_first_receive_even_when_it_cannot_start(pipeline, monkeypatch):
    monkeypatch.setattr(pipeline.handler.transcribe, "start_transcription_job", refusing("ThrottlingException"))
    pipeline.send(s3_event(s3_record("first.mp3"), s3_record("second.mp3")))
    pipeline.poll(seconds=15)
    items = items_by_key(pipeline)
    assert {items[k]["state"] for k in ("first.mp3", "second.mp3")} == {"queued"}
    assert all("pending" in item and float(item["due"]) > time.time() + 11 * 86400 for item in items.values())


def test_each_upload_is_recorded_just_before_its_start_so_a_batch_starts_without_waiting_for_ten_writes(pipeline):
    """The function paces its starts; ten ledger writes before a batch's first start added their
    time to every batch (bench/RESULTS.md, "Scale": 10,000 uploads took 1.19 × the quota's
    minimum). Each upload's write comes just before its own start instead."""
    calls = []
    for client in (pipeline.handler.dynamodb, pipeline.handler.transcribe):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    keys = [f"batch-{n}.mp3" for n in range(10)]
    assert pipeline.deliver(*(s3_event(s3_record(key)) for key in keys)) == set()
    assert len(pipeline.requests) == 10
    before_each_start = " ".join(calls).split("StartTranscriptionJob")[:-1]
    assert [calls_between.split().count("PutItem") for calls_between in before_each_start] == [1] * 10
    assert {items_by_key(pipeline)[key]["state"] for key in keys} == {"started"}


def test_a_rejected_upload_is_recorded_with_its_reason_and_never_tried_again(pipeline):
    big = s3_event(s3_record("huge.mp4", size=3 * 1024**3))
    pipeline.deliver(big)
    item = items_by_key(pipeline)["huge.mp4"]
    assert item["state"] == "rejected" and "Transcribe takes files under 2 GB" in item["reason"]
    assert "pending" not in item
    pipeline.deliver(big)
    assert pipeline.requests == []


def test_a_dead_lettered_upload_is_recorded_and_a_redrive_starts_it(pipeline, monkeypatch):
    original = pipeline.handler.transcribe.start_transcription_job
    monkeypatch.setattr(pipeline.handler.transcribe, "start_transcription_job", refusing("AccessDeniedException"))
    pipeline.send(s3_event(s3_record("denied.mp3")))
    while pipeline.queued():
        pipeline.later()
        pipeline.poll()
    item = items_by_key(pipeline)["denied.mp3"]
    assert item["state"] == "dead-lettered" and "AccessDeniedException" in item["reason"] and "pending" not in item

    monkeypatch.setattr(pipeline.handler.transcribe, "start_transcription_job", original)
    (dead,) = pipeline.dead_letters()
    assert pipeline.deliver(dead["Body"]) == set()
    assert items_by_key(pipeline)["denied.mp3"]["state"] == "started" and len(pipeline.job_names()) == 1


def erase(pipeline, key: str) -> float:
    ledger = ledger_module.Ledger(pipeline.dynamodb, "ledger")
    assert ledger.erase(MEDIA_BUCKET, key) >= 1
    (tombstone,) = [item for item in pipeline.ledger() if item["state"] == "deleted"]
    assert set(tombstone) == {"media", "version", "state", "deletedAt"}, "no personal data is kept"
    return float(tombstone["deletedAt"])


def test_a_late_report_of_an_erased_upload_starts_nothing(pipeline):
    pipeline.deliver(s3_event(s3_record("private.mp3")))
    erase(pipeline, "private.mp3")
    late = s3_record("private.mp3")  # S3's sample eventTime: long before the erasure
    assert pipeline.deliver(s3_event(late), request("private.mp3")) == set()
    assert len(pipeline.requests) == 1


def test_the_same_content_uploaded_again_after_an_erasure_is_transcribed_again(pipeline):
    pipeline.deliver(s3_event(s3_record("private.mp3")))
    deleted_at = erase(pipeline, "private.mp3")
    again = s3_record("private.mp3")
    again["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(deleted_at + 5))
    assert pipeline.deliver(s3_event(again)) == set()
    assert len(pipeline.requests) == 2 and len({r["TranscriptionJobName"] for r in pipeline.requests}) == 2
    assert items_by_key(pipeline)["private.mp3"]["state"] == "started"


def test_a_forced_re_transcription_gets_a_job_name_of_its_own(pipeline):
    pipeline.deliver(s3_event(s3_record("redo.mp3")))
    ledger = ledger_module.Ledger(pipeline.dynamodb, "ledger")
    assert ledger.force(MEDIA_BUCKET, "redo.mp3", "b1946ac92492d2347c6235b4d2611184", 48_000, "transcribe-pipeline-test-abc123-") is None, (
        "its job is running: not forced"
    )
    item = items_by_key(pipeline)["redo.mp3"]
    pipeline.dynamodb.update_item(
        TableName="ledger", Key={"media": {"S": item["media"]}, "version": {"S": item["version"]}},
        UpdateExpression="SET #s = :c", ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":c": {"S": "completed"}},
    )  # fmt: skip
    forced = ledger.force(MEDIA_BUCKET, "redo.mp3", "b1946ac92492d2347c6235b4d2611184", 48_000, "transcribe-pipeline-test-abc123-")
    assert forced.attempt == 1 and forced.job_name != item["jobName"]
    pipeline.deliver(request("redo.mp3", origin="force"))
    assert [r["TranscriptionJobName"] for r in pipeline.requests] == [item["jobName"], forced.job_name]
    assert items_by_key(pipeline)["redo.mp3"]["origin"] == "force"


def test_a_message_reporting_an_upload_twice_in_one_batch_calls_transcribe_once(pipeline):
    body = json.dumps(s3_event(s3_record("twice.mp3"), s3_record("twice.mp3")))
    assert pipeline.deliver(body, body) == set()
    assert len(pipeline.requests) == 1
