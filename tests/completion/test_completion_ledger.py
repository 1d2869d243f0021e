"""The completion function tells the ledger how each job ended, and writes nothing for a media
object erased meanwhile."""

import boto3

import ledger as ledger_module
from events import MEDIA_BUCKET
from job_events import job_state_change
from moto_stack import REGION
from transcribe_output import output, spoken

TALK = "talks/keynote.mp3"


def item_of(key: str) -> dict:
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName="ledger")["Items"]
    (item,) = [i for i in items if i.get("key", {}).get("S") == key]
    return {k: v.get("S", v.get("N")) for k, v in item.items()}


def test_a_completed_job_is_recorded_with_the_minutes_transcribed(stack):
    job_name = stack.upload(TALK)
    assert item_of(TALK)["state"] == "started"
    stack.complete(job_name, output(job_name, spoken("One two three four.", pace=30.0)))

    stack.run(job_state_change(job_name))

    item = item_of(TALK)
    assert item["state"] == "completed" and float(item["minutes"]) == 2.0
    assert "pending" not in item and "due" not in item and float(item["endedAt"]) > 0


def test_a_failed_job_is_recorded_with_transcribe_s_reason(stack):
    job_name = stack.upload(TALK)
    stack.fail(job_name, "Your audio is too short.")

    stack.run(job_state_change(job_name, "FAILED"))

    item = item_of(TALK)
    assert (item["state"], item["reason"]) == ("failed", "Your audio is too short.")


def test_the_reconciler_s_event_for_a_lost_job_end_is_taken_like_transcribe_s(stack):
    job_name = stack.upload(TALK)
    stack.complete(job_name, output(job_name, spoken("Hello.")))
    event = job_state_change(job_name) | {"source": "transcribe-pipeline.reconciler"}

    assert stack.run(event) == {"jobName": job_name, "outcome": "transcribed"}
    assert item_of(TALK)["state"] == "completed"


def test_nothing_is_written_for_a_media_object_erased_before_its_job_ended(stack):
    job_name = stack.upload(TALK)
    stack.complete(job_name, output(job_name, spoken("Private words.")))
    ledger_module.Ledger(boto3.client("dynamodb", region_name=REGION), "ledger").erase(MEDIA_BUCKET, TALK)
    before = set(stack.output_objects())

    assert stack.run(job_state_change(job_name)) == {"jobName": job_name, "outcome": "erased"}
    assert set(stack.output_objects()) == before, "no .txt, no copy"
    assert stack.published() == []


def test_a_job_from_before_the_ledger_is_still_finished(stack):
    job_name = stack.upload(TALK)
    boto3.client("dynamodb", region_name=REGION).delete_item(
        TableName="ledger", Key={"media": {"S": item_of(TALK)["media"]}, "version": {"S": item_of(TALK)["version"]}}
    )
    stack.complete(job_name, output(job_name, spoken("Old times.")))

    assert stack.run(job_state_change(job_name)) == {"jobName": job_name, "outcome": "transcribed"}
    assert stack.read("transcripts/talks/keynote.mp3.txt") == "Old times.\n"
