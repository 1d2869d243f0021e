"""`audit`, `backfill` and `delete` against the moto server, with the real upload function taking
what backfill sends from the upload queue. Every request the tool sends is checked against
botocore's model (`checked_requests`)."""

import json
import time

import boto3
import pytest

from function import naming
from function.ledger import Ledger
from mediactl import accounting
from mediactl_fakes import UploadFunction, moto_job, start_job, transcript_document

AN_HOUR_LATER = 3600


@pytest.fixture
def later(monkeypatch):
    """The tool's clock an hour on: the objects put now are past the notification's grace."""
    monkeypatch.setattr(accounting, "GRACE", -AN_HOUR_LATER)


@pytest.fixture
def ledger(pipeline) -> Ledger:
    return Ledger(boto3.client("dynamodb"), pipeline.outputs["ledgerTableName"])


def put(s3, pipeline, key: str, body: bytes = b"ID3 media") -> dict:
    s3.put_object(Bucket=pipeline.input_bucket, Key=key, Body=body)
    return s3.head_object(Bucket=pipeline.input_bucket, Key=key)


def transcribed(s3, pipeline, ledger, key: str) -> str:
    """`key` uploaded, its job started and completed, its transcript and text written, as the
    pipeline's functions would leave them."""
    head = put(s3, pipeline, key)
    entry, _ = ledger.record(pipeline.input_bucket, key, head["ETag"], head["ContentLength"], pipeline.job_name_prefix, origin="s3")
    name = start_job(pipeline, key, naming.attempt_id(entry.version, 0), document=transcript_document(f"words of {key}"))
    s3.put_object(Bucket=pipeline.output_bucket, Key=naming.text_key("transcripts/", key), Body=b"words\n")
    ledger.started(entry)
    ledger.end(entry, "completed", minutes=1.5)
    moto_job(name).status = "COMPLETED"
    return name


def ledger_items(pipeline) -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=pipeline.outputs["ledgerTableName"])["Items"]
    return [{k: v.get("S", v.get("N")) for k, v in item.items()} for item in items if not item["media"]["S"].startswith("#")]


def drain(function: UploadFunction) -> None:
    while function.poll():
        pass


def test_audit_exits_1_on_a_gap_and_0_once_backfill_closed_it(run, pipeline, s3, ledger, later, monkeypatch, checked_requests):
    transcribed(s3, pipeline, ledger, "done.mp3")
    put(s3, pipeline, "missed.mp3")
    put(s3, pipeline, "notes.txt")

    result = run("audit", "--stack", "dev")

    assert result.code == 1, result.err
    assert "missed.mp3: no ledger item and no transcript" in result.out and "`mediactl backfill --stack dev`" in result.out
    assert "completed 1" in result.out and "notes.txt" not in result.out

    assert run("backfill", "--stack", "dev").code == 0
    drain(UploadFunction(pipeline, monkeypatch))
    healed = run("audit", "--stack", "dev", "--json")
    account = json.loads(healed.out)
    assert healed.code == 0 and account["healthy"] and account["gaps"] == []
    assert account["counts"] == {"completed": 1, "started": 1} and account["objects"] == 2
    assert account["spend"]["pricePerMinute"] == 0.024 and account["spend"]["todayMinutes"] == 0


def test_audit_names_what_each_gap_needs(run, pipeline, s3, ledger, later):
    lost = transcribed(s3, pipeline, ledger, "lost.mp3")
    s3.delete_object(Bucket=pipeline.output_bucket, Key=naming.transcript_key("transcripts/", "lost.mp3"))
    head = put(s3, pipeline, "dead.mp3")
    entry, _ = ledger.record(pipeline.input_bucket, "dead.mp3", head["ETag"], head["ContentLength"], pipeline.job_name_prefix, origin="s3")
    ledger.dead_lettered(entry, "Failed: AccessDeniedException (after 5 receives)")
    put(s3, pipeline, "adopted.mp3")
    s3.put_object(Bucket=pipeline.output_bucket, Key="transcripts/adopted.mp3.json", Body=b"{}")

    result = run("audit", "--stack", "dev", "--json")

    account = json.loads(result.out)
    gaps = {gap["key"]: gap for gap in account["gaps"]}
    assert result.code == 1 and set(gaps) == {"lost.mp3", "dead.mp3"}, lost
    assert "--force lost.mp3" in gaps["lost.mp3"]["action"]
    assert "AccessDeniedException" in gaps["dead.mp3"]["problem"] and "mediactl redrive --stack dev" in gaps["dead.mp3"]["action"]
    assert account["counts"]["done before the ledger"] == 1, "adopted.mp3 has its transcript: not a gap"


def test_a_new_upload_is_not_a_gap_until_its_notification_had_time(run, pipeline, s3):
    put(s3, pipeline, "just-now.mp3")
    result = run("audit", "--stack", "dev", "--json")
    assert result.code == 0 and json.loads(result.out)["counts"] == {"new": 1}


def test_backfill_twice_starts_each_job_once(run, pipeline, s3, monkeypatch, checked_requests):
    keys = [f"archive/{n}.mp3" for n in range(4)]
    for n, key in enumerate(keys):
        put(s3, pipeline, key, f"content {n}".encode())
    first = run("backfill", "--stack", "dev")
    second = run("backfill", "--stack", "dev")

    assert first.code == second.code == 0
    assert "4 sent to the upload queue" in first.out and "0 sent to the upload queue" in second.out
    assert "4 media objects already in the ledger" in second.out
    drain(UploadFunction(pipeline, monkeypatch))
    started = [params for operation, params in checked_requests if operation == "StartTranscriptionJob"]
    assert sorted(request["Media"]["MediaFileUri"] for request in started) == [f"s3://{pipeline.input_bucket}/{key}" for key in keys]


def test_backfill_dry_run_says_what_it_would_send_and_sends_nothing(run, pipeline, s3, sqs):
    put(s3, pipeline, "a.mp3")
    result = run("backfill", "--stack", "dev", "--dry-run")
    assert result.code == 0 and "1 would be sent" in result.out and "  a.mp3" in result.out
    assert ledger_items(pipeline) == []
    assert sqs.receive_message(QueueUrl=pipeline.upload_queue_url).get("Messages", []) == []


def test_backfill_records_what_was_transcribed_before_the_ledger_without_sending_it(run, pipeline, s3, sqs):
    put(s3, pipeline, "old.mp3")
    time.sleep(0.01)
    s3.put_object(Bucket=pipeline.output_bucket, Key="transcripts/old.mp3.json", Body=b"{}")
    result = run("backfill", "--stack", "dev", "--prefix", "")
    assert "1 transcribed before the ledger (recorded), 0 sent" in result.out
    (item,) = ledger_items(pipeline)
    assert (item["key"], item["state"], item["origin"]) == ("old.mp3", "completed", "adopted")


def test_backfill_force_transcribes_a_key_again_with_a_new_job(run, pipeline, s3, ledger, monkeypatch):
    old_job = transcribed(s3, pipeline, ledger, "again.mp3")
    result = run("backfill", "--stack", "dev", "--force", "again.mp3")
    assert result.code == 0, result.err
    drain(UploadFunction(pipeline, monkeypatch))
    jobs = [s["TranscriptionJobName"] for s in boto3.client("transcribe").list_transcription_jobs()["TranscriptionJobSummaries"]]
    assert len(jobs) == 2 and old_job in jobs
    assert f"again.mp3: sent for a new transcription (job {[j for j in jobs if j != old_job][0]})" in result.out


@pytest.mark.parametrize(
    "args, message",
    [
        (("--force", "nope.txt"), "--force 'nope.txt' is not a media key of the stack"),
        (("--force", "a.mp3", "--prefix", "team/"), "--prefix"),
        (("--prefix", "../up/"), "--prefix '../up/'"),
    ],
)
def test_backfill_refuses_bad_input_before_sending_anything(run, pipeline, args, message, checked_requests):
    result = run("backfill", "--stack", "dev", *args)
    assert result.code == 2 and message in result.err
    assert [op for op, _ in checked_requests if op in ("SendMessageBatch", "PutItem")] == []


def everything_named(pipeline, key: str) -> list[str]:
    """Every object of either bucket whose key holds the media key's name."""
    found = []
    for bucket in (pipeline.input_bucket, pipeline.output_bucket):
        for obj in boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", []):
            if key.rsplit(".", 1)[0] in obj["Key"]:
                found.append(f"{bucket}/{obj['Key']}")
    return found


@pytest.mark.parametrize("versioned", [False, True], ids=["plain", "versioned"])
def test_delete_leaves_nothing_of_the_key_behind(run, pipeline, s3, ledger, versioned, checked_requests):
    if versioned:
        for bucket in (pipeline.input_bucket, pipeline.output_bucket):
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        put(s3, pipeline, "private/interview.mp3", b"an earlier version")
    job = transcribed(s3, pipeline, ledger, "private/interview.mp3")
    s3.put_object(Bucket=pipeline.output_bucket, Key="transcripts/private/interview.mp3.error.json", Body=b"{}")
    transcribed(s3, pipeline, ledger, "keep.mp3")

    result = run("delete", "private/interview.mp3", "--stack", "dev", "--yes")

    assert result.code == 0, result.err
    assert everything_named(pipeline, "private/interview.mp3") == []
    if versioned:
        versions = s3.list_object_versions(Bucket=pipeline.input_bucket, Prefix="private/")
        assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []
    names = [s["TranscriptionJobName"] for s in boto3.client("transcribe").list_transcription_jobs()["TranscriptionJobSummaries"]]
    assert job not in names and len(names) == 1
    items = ledger_items(pipeline)
    (tombstone,) = [item for item in items if item["state"] == "deleted"]
    assert set(tombstone) == {"media", "version", "state", "deletedAt"}
    assert "interview" not in json.dumps(items)
    assert everything_named(pipeline, "keep.mp3") != []


def test_delete_asks_first_and_a_no_deletes_nothing(run, pipeline, s3, ledger, monkeypatch):
    transcribed(s3, pipeline, ledger, "talk.mp3")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("n\n"))
    result = run("delete", "talk.mp3", "--stack", "dev")
    assert result.code == 1 and "nothing deleted" in result.out
    assert everything_named(pipeline, "talk.mp3") != []


def test_delete_leaves_a_key_whose_job_still_runs(run, pipeline, s3, ledger):
    job = moto_job(transcribed(s3, pipeline, ledger, "busy.mp3"))
    job.status, job.advance = "IN_PROGRESS", lambda: None  # moto moves a job on at every look
    result = run("delete", "busy.mp3", "--stack", "dev", "--yes")
    assert result.code == 1 and "still queued or running: nothing of it deleted" in result.err
    assert everything_named(pipeline, "busy.mp3") != []


def test_delete_refuses_a_key_outside_the_stack_s_prefix(run, pulumi):
    from mediactl_fakes import deploy

    deploy(pulumi, "dev", key_prefix="media/")
    result = run("delete", "other/talk.mp3", "--stack", "dev", "--yes")
    assert result.code == 2 and "is not a media key of stack 'dev'" in result.err


def test_audit_of_a_bucket_that_is_gone_is_one_line(run, pipeline, s3):
    # The media bucket is listed in worker processes: what AWS said comes back from them.
    s3.delete_bucket(Bucket=pipeline.input_bucket)

    result = run("audit", "--stack", "dev")

    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.strip().splitlines() == [f"mediactl: error: no such bucket: {pipeline.input_bucket}"], result.err
