"""The reconciler against moto, beside the real upload and completion functions: what the pipeline
missed — files that were in the bucket before, notifications that never came, job ends whose
event was lost, uploads whose queue message would expire — ends as one job each, or is recorded
as done, and nothing is started twice.

Moto cannot run Lambda code: the reconciler's asynchronous Invoke of the completion function is
handed to the real completion module in this process, with the payload Lambda would pass."""

import json
import time

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto.transcribe.models import transcribe_backends
from moto.core import DEFAULT_ACCOUNT_ID

import ledger as ledger_module
import naming
from aws_model import check_against_model
from events import MEDIA_BUCKET, TRANSCRIPT_BUCKET, s3_event, s3_record
from lambda_env import REGION, LambdaContext, fresh_import

GRACE_PASSED = 20 * 60


class Reconciler:
    """The reconciler module on the pipeline's virtual clock, and what it handed to completion."""

    def __init__(self, pipeline, env):
        env.setenv("MEDIA_BUCKET", MEDIA_BUCKET)
        env.setenv("KEY_PREFIX", "")
        env.setenv("UPLOAD_QUEUE_URL", pipeline.queue_url)
        env.setenv("COMPLETION_FUNCTION", "completion")
        env.setenv("TOPIC_ARN", "")
        self.pipeline = pipeline
        self.module = fresh_import("reconcile")
        self.module.clock = pipeline.clock
        self.completion = fresh_import("completion")
        self.handed: list[dict] = []
        for client in (self.module.s3, self.module.sqs, self.module.transcribe, self.module.lambda_,
                       self.module.cloudwatch, self.module.dynamodb):  # fmt: skip
            client.meta.events.register("provide-client-params", check_against_model)
        self.module.lambda_.meta.events.register("before-call.lambda.Invoke", self._invoke)

    def _invoke(self, params, **_):
        event = json.loads(params["body"])
        self.handed.append(event)
        self.completion.lambda_handler(event, None)
        return AWSResponse("https://lambda", 202, {}, None), {"StatusCode": 202}

    def run(self, seconds: float = 900) -> dict:
        return self.module.lambda_handler({}, LambdaContext(self.pipeline.clock, seconds))


@pytest.fixture
def reconciler(pipeline, handler_env) -> Reconciler:
    return Reconciler(pipeline, handler_env)


def put_media(pipeline, key: str, body: bytes = b"ID3 media") -> dict:
    pipeline.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=body)
    return pipeline.s3.head_object(Bucket=MEDIA_BUCKET, Key=key)


def drain(pipeline) -> None:
    while pipeline.poll():
        pass


def starts_by_version(pipeline) -> dict[tuple[str, str], int]:
    """StartTranscriptionJob requests Transcribe accepted, by media object version."""
    versions = {}
    for job in pipeline.jobs():
        key = job["Media"]["MediaFileUri"].removeprefix(f"s3://{MEDIA_BUCKET}/")
        head = pipeline.s3.head_object(Bucket=MEDIA_BUCKET, Key=key)
        version = (key, naming.upload_version(head["ETag"], head["ContentLength"]))
        versions[version] = versions.get(version, 0) + 1
    return versions


def test_files_already_in_the_bucket_are_found_and_transcribed_once(pipeline, reconciler):
    for key in ("old/a.mp3", "old/B.WAV", "old/c.Mp3", "notes.txt", "folder.mp3/"):
        put_media(pipeline, key)
    pipeline.clock.now += GRACE_PASSED

    report = reconciler.run()

    assert report["unrecorded_sent"] == 3 and report["pass_complete"]
    drain(pipeline)
    media = sorted(job["Media"]["MediaFileUri"] for job in pipeline.jobs())
    assert media == [f"s3://{MEDIA_BUCKET}/old/{name}" for name in ("B.WAV", "a.mp3", "c.Mp3")]
    assert all(count == 1 for count in starts_by_version(pipeline).values())
    assert {item["state"] for item in pipeline.ledger() if item["media"][0] != "#"} == {"started"}
    again = reconciler.run()
    assert again["unrecorded_sent"] == 0 and pipeline.queued() == 0, "a second run finds nothing new"


def test_a_file_younger_than_the_grace_period_is_left_to_its_notification(pipeline, reconciler):
    put_media(pipeline, "new.mp3")
    pipeline.clock.now += 60
    assert reconciler.run()["unrecorded_sent"] == 0
    pipeline.clock.now += GRACE_PASSED
    assert reconciler.run()["unrecorded_sent"] == 1, "the next run, once the grace period is over"


def test_the_s3_event_arriving_after_the_reconciler_sent_the_upload_starts_no_second_job(pipeline, reconciler):
    head = put_media(pipeline, "late.mp3")
    pipeline.clock.now += GRACE_PASSED
    assert reconciler.run()["unrecorded_sent"] == 1
    late_event = s3_event(s3_record("late.mp3", etag=head["ETag"].strip('"'), size=head["ContentLength"]))
    pipeline.send(late_event)
    drain(pipeline)
    assert len(pipeline.requests) == 1 and len(pipeline.job_names()) == 1


def test_an_object_with_its_transcript_but_no_ledger_item_is_recorded_as_done_not_transcribed(pipeline, reconciler):
    put_media(pipeline, "adopted.mp3")
    put_media(pipeline, "failed-before.mp3")
    time.sleep(0.01)
    pipeline.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/adopted.mp3.json", Body=b"{}")
    note = {"media": "s3://x/failed-before.mp3", "jobName": "j", "reason": "The media format provided does not match.", "time": "t"}
    pipeline.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/failed-before.mp3.error.json", Body=json.dumps(note).encode())
    pipeline.clock.now += GRACE_PASSED

    report = reconciler.run()

    assert (report["adopted"], report["unrecorded_sent"]) == (2, 0)
    assert pipeline.queued() == 0 and pipeline.job_names() == set()
    items = {item["key"]: item for item in pipeline.ledger() if "key" in item}
    assert items["adopted.mp3"]["state"] == "completed" and items["adopted.mp3"]["origin"] == "adopted"
    assert items["failed-before.mp3"]["state"] == "failed"
    assert items["failed-before.mp3"]["reason"] == note["reason"]


def test_a_transcript_older_than_the_object_is_of_an_earlier_upload_so_the_object_is_transcribed(pipeline, reconciler):
    pipeline.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/talk.mp3.json", Body=b"{}")
    time.sleep(1.1)  # S3's LastModified is to the second
    put_media(pipeline, "talk.mp3", b"new content")
    pipeline.clock.now += GRACE_PASSED
    assert reconciler.run()["unrecorded_sent"] == 1


def complete_in_moto(pipeline, job_name: str) -> dict:
    for _ in range(5):
        job = pipeline.transcribe.get_transcription_job(TranscriptionJobName=job_name)["TranscriptionJob"]
        if job["TranscriptionJobStatus"] == "COMPLETED":
            return job
    raise AssertionError(job)


def test_a_completed_job_whose_event_never_came_gets_its_text_from_the_next_run(pipeline, reconciler):
    pipeline.deliver(s3_event(s3_record("talk.mp3")))
    (name,) = pipeline.job_names()
    complete_in_moto(pipeline, name)
    document = {"jobName": name, "results": {"transcripts": [{"transcript": "Hello there."}], "items": []}}
    pipeline.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/talk.mp3.json", Body=json.dumps(document).encode())
    pipeline.clock.now += GRACE_PASSED

    report = reconciler.run()

    assert report["completions_recovered"] == 1
    (handed,) = reconciler.handed
    assert handed["detail"] == {"TranscriptionJobName": name, "TranscriptionJobStatus": "COMPLETED"}
    text = pipeline.s3.get_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/talk.mp3.txt")["Body"].read()
    assert text == b"Hello there.\n"
    (item,) = [item for item in pipeline.ledger() if item.get("key") == "talk.mp3"]
    assert item["state"] == "completed" and "pending" not in item
    assert reconciler.run()["completions_recovered"] == 0, "recorded: not handed over twice"


def test_a_job_still_running_is_looked_at_again_later_not_handed_over(pipeline, reconciler):
    pipeline.deliver(s3_event(s3_record("long.mp3")))
    pipeline.clock.now += GRACE_PASSED
    (name,) = pipeline.job_names()
    transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[name].status = "IN_PROGRESS"
    # moto moves a job on at every look; keep it running.
    job = transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[name]
    job.advance = lambda: None

    assert reconciler.run()["completions_recovered"] == 0
    (item,) = [item for item in pipeline.ledger() if item.get("key") == "long.mp3"]
    assert item["state"] == "started" and float(item["due"]) > pipeline.clock.now and item["checks"] == "1"


def test_a_lost_job_end_is_found_before_the_jobs_waiting_in_transcribes_queue_which_are_not_looked_at(pipeline, reconciler):
    """Transcribe runs its queue in order: once a run meets a job still queued there, the jobs
    started after it cannot have ended. A lost end due later than those queued jobs is found all
    the same (soonest due first, a run spent its looks on a full Transcribe queue)."""
    jobs = transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions
    pipeline.deliver(s3_event(s3_record("old.mp3")))
    (old,) = pipeline.job_names()
    jobs[old].status, jobs[old].advance = "IN_PROGRESS", lambda: None  # moto moves a job on at every look
    pipeline.clock.now += GRACE_PASSED
    assert reconciler.run()["completions_recovered"] == 0  # looked at: due again in 10 minutes
    for n in range(6):
        pipeline.deliver(s3_event(s3_record(f"later-{n}.mp3")))
        pipeline.clock.now += 30
    for name in pipeline.job_names() - {old}:
        jobs[name].status, jobs[name].advance = "QUEUED", lambda: None
    del jobs[old].advance
    complete_in_moto(pipeline, old)  # and its event lost
    document = {"jobName": old, "results": {"transcripts": [{"transcript": "Old."}], "items": []}}
    pipeline.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key="transcripts/old.mp3.json", Body=json.dumps(document).encode())
    pipeline.clock.now += 600
    looked_at = []
    reconciler.module.transcribe.meta.events.register("before-call.transcribe.GetTranscriptionJob",
                                                      lambda params, **_: looked_at.append(params["body"]))  # fmt: skip

    assert reconciler.run(seconds=33)["completions_recovered"] == 1  # time for a few looks only
    assert len(looked_at) == 2, "the lost end, then the first job still queued in Transcribe: nothing after it"
    (item,) = [item for item in pipeline.ledger() if item.get("key") == "old.mp3"]
    assert item["state"] == "completed"


def test_a_job_gone_from_transcribe_is_recorded_as_failed_with_what_to_do(pipeline, reconciler):
    pipeline.deliver(s3_event(s3_record("gone.mp3")))
    (name,) = pipeline.job_names()
    pipeline.transcribe.delete_transcription_job(TranscriptionJobName=name)
    pipeline.clock.now += GRACE_PASSED

    assert reconciler.run()["jobs_lost"] == 1
    (item,) = [item for item in pipeline.ledger() if item.get("key") == "gone.mp3"]
    assert item["state"] == "failed" and "mediactl backfill --force" in item["reason"]


def test_a_queued_upload_nearing_the_queue_s_retention_is_sent_again(pipeline, reconciler, monkeypatch):
    monkeypatch.setattr(pipeline.handler, "start_upload", lambda *a, **k: (_ for _ in ()).throw(pipeline.handler.BackPressure("ThrottlingException")))
    pipeline.send(s3_event(s3_record("waiting.mp3")))
    pipeline.poll(seconds=15)
    # The message itself is gone (expired, or never received): only the ledger knows the upload.
    pipeline.sqs.purge_queue(QueueUrl=pipeline.queue_url)
    pipeline.clock.now += ledger_module.RESEND_AFTER + 60

    assert reconciler.run()["resent"] == 1
    (message,) = pipeline.sqs.receive_message(QueueUrl=pipeline.queue_url).get("Messages", [])
    (request,) = json.loads(message["Body"])["Requests"]
    assert (request["key"], request["origin"]) == ("waiting.mp3", "resend")
    (item,) = [item for item in pipeline.ledger() if item.get("key") == "waiting.mp3"]
    assert float(item["due"]) > pipeline.clock.now + 11 * 86400


def test_with_a_backlog_of_unknown_age_only_objects_older_than_the_queue_s_retention_are_taken_for_missed(pipeline, reconciler):
    put_media(pipeline, "in-the-backlog.mp3")
    pipeline.send(s3_event(s3_record("someone-else.mp3")))
    pipeline.clock.now += GRACE_PASSED
    assert reconciler.run()["unrecorded_sent"] == 0, "its message may still be waiting in the queue"
    assert pipeline.queued() == 1


def test_a_run_cut_short_goes_on_where_it_stopped(pipeline, reconciler, monkeypatch):
    monkeypatch.setattr(reconciler.module, "LIST_PAGE", 2)
    for n in range(5):
        put_media(pipeline, f"many/{n}.mp3")
    pipeline.clock.now += GRACE_PASSED
    monkeypatch.setattr(reconciler.module, "SAFETY_MARGIN", 0)
    pages = []

    def slow_page(**_):
        pages.append(1)
        pipeline.clock.now += 1

    reconciler.module.s3.meta.events.register("before-call.s3.ListObjectsV2", slow_page)
    first = reconciler.run(seconds=1.5)
    assert not first["pass_complete"] and 0 < first["unrecorded_sent"] < 5
    second = reconciler.run(seconds=100)
    assert second["pass_complete"] and first["unrecorded_sent"] + second["unrecorded_sent"] == 5


def test_two_runs_at_once_do_not_both_work(pipeline, reconciler):
    assert reconciler.module.RunState(reconciler.module.dynamodb, reconciler.module.SETTINGS.ledger_table, time.time).acquire(900)
    assert reconciler.run() == {"outcome": "skipped", "why": "another run is in progress"}


def test_a_run_reports_its_counts_as_metrics(pipeline, reconciler, capsys):
    put_media(pipeline, "m.mp3")
    pipeline.clock.now += GRACE_PASSED
    capsys.readouterr()
    reconciler.run()
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    (document,) = documents
    assert document["Stage"] == "reconcile"
    assert document["UnrecordedSent"] == 1 and document["ProblemsFound"] == 1 and document["ObjectsListed"] == 1


def test_anything_but_a_json_object_is_refused(reconciler):
    with pytest.raises(ValueError, match="takes a JSON object"):
        reconciler.module.lambda_handler([], None)
