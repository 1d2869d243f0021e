"""The scale simulation (`python -m bench scale`) on small workloads: nothing it models vanishes,
no upload is started twice, the ledger says what happened to every upload, and the real upload
handler keeps StartTranscriptionJob within the modelled rate; the real reconciler repairs lost
job ends and keeps a backlog longer than the queue's retention alive."""

import os
from dataclasses import replace

import pytest
from ledger_table import TABLE

from bench.scale import QueueDesignSettings, ReconcilerSettings
from bench.scale_run import Workload, run_direct, run_queue
from bench.sim import Simulation
from bench.sim_aws import QUEUE_FULL, THROTTLED, LambdaQuotas, Queue, Transcribe, TranscribeQuotas, earliest_last_start
from bench.sim_http import queue_url
from bench.sim_queue import MappingSettings

# Small quotas, so that a few hundred uploads meet throttling and a full Transcribe queue.
SMALL_TRANSCRIBE = TranscribeQuotas(start_rate=10, start_burst=10, running_jobs=20, queued_jobs=40, job_seconds=30)
DAY = 86_400


def test_transcribe_throttles_beyond_its_rate_then_refuses_beyond_its_queue():
    sim = Simulation()
    transcribe = Transcribe(sim, TranscribeQuotas(start_rate=5, start_burst=5, running_jobs=2, queued_jobs=2, job_seconds=10))
    answers = [transcribe.start(f"job-{n}") for n in range(6)]
    assert answers == [None, None, None, None, QUEUE_FULL, THROTTLED]
    sim.run(until=11)
    assert transcribe.start("job-4") is None
    assert [transcribe.jobs[f"job-{n}"].status for n in range(5)] == ["COMPLETED", "COMPLETED", "IN_PROGRESS", "IN_PROGRESS", "QUEUED"]


def test_a_message_received_more_than_max_receive_times_moves_to_the_dead_letter_queue():
    sim = Simulation()
    dead_letters = Queue(sim, "dlq")
    queue = Queue(sim, "q", visibility=10, dead_letters=dead_letters, max_receive=2)
    queue.send("body", upload=7)
    for _ in range(2):
        assert [m.upload for m in queue.receive(10)] == [7]
        sim.run(until=sim.now + 10)
    assert queue.receive(10) == []
    assert [m.upload for m in dead_letters.messages.values()] == [7]


def test_the_age_of_the_oldest_message_leaves_out_messages_received_three_times():
    sim = Simulation()
    queue = Queue(sim, "q", visibility=10)
    assert queue.oldest_age() is None
    queue.send("old", upload=1)
    for _ in range(3):
        sim.now += 10
        assert [m.upload for m in queue.receive(1)] == [1]
    assert queue.oldest_age() == 0  # every message received three times: none counts
    queue.send("new", upload=2)
    sim.now += 60
    assert queue.oldest_age() == 60


def test_the_quota_minimum_is_the_request_rate_until_transcribes_queue_is_full():
    quotas = TranscribeQuotas()
    assert earliest_last_start([0.0] * 10_000, quotas) == pytest.approx((10_000 - 25) / 25, abs=0.01)
    assert earliest_last_start([0.0] * 11_000, quotas) > 2 * quotas.job_seconds


def test_the_direct_design_keeps_every_upload_it_does_not_start_in_the_failure_queue():
    workload = Workload(600, 1)
    outcome = run_direct(workload, SMALL_TRANSCRIBE, LambdaQuotas(), 128, 60, minimum=1)
    assert outcome.dead_letters > 0
    assert outcome.vanished == 0
    assert outcome.started + outcome.dead_letters == workload.uploads
    assert outcome.peak_attempts > SMALL_TRANSCRIBE.start_rate


@pytest.fixture
def small_queue_design(aws_credentials, handler_env) -> QueueDesignSettings:
    """The buffered design with the functions' test environment and two upload-function
    instances, each paced so that its most calls in any second (the pacer's rate + 1) keep the
    two within the small rate; the reconciler as the program declares it."""
    names = ("OUTPUT_BUCKET", "OUTPUT_PREFIX", "LANGUAGE_CODE", "JOB_NAME_PREFIX", "JOB_TAGS", "LEDGER_TABLE")
    environ = {name: os.environ[name] for name in names}
    environ["START_RATE"] = str(SMALL_TRANSCRIBE.start_rate / 2 - 1)
    environ["DEAD_LETTER_QUEUE_URL"] = queue_url("upload-dead-letters")
    reconciler = {
        **{name: environ[name] for name in ("OUTPUT_BUCKET", "OUTPUT_PREFIX", "JOB_NAME_PREFIX", "LEDGER_TABLE")},
        "MEDIA_BUCKET": "media-bucket", "KEY_PREFIX": "", "UPLOAD_QUEUE_URL": queue_url("upload-queue"),
        "COMPLETION_FUNCTION": "completion", "RECONCILE_MINUTES": "60",
    }  # fmt: skip
    return QueueDesignSettings(
        memory_mb=128, timeout=60, visibility=360, retention=14 * DAY, max_receive=1000,
        mapping=MappingSettings(batch_size=10, maximum_concurrency=2), output_bucket=os.environ["OUTPUT_BUCKET"],
        ledger_table=TABLE, environ=environ, reconciler=ReconcilerSettings(environ=reconciler),
    )  # fmt: skip


def assert_every_upload_started_once_as_the_ledger_says(outcome, workload):
    assert outcome.vanished == 0
    assert outcome.started == workload.uploads
    assert outcome.dead_letters == 0
    assert outcome.ledger["most starts of one upload"] == 1
    assert outcome.ledger["problems"] == []
    assert outcome.ledger["states"] == {"completed": workload.uploads}
    assert outcome.ledger["reconciler errors"] == [] and outcome.ledger["reconciler timeouts"] == 0


def test_the_real_handler_starts_every_upload_once_within_the_modelled_rate(small_queue_design):
    workload = Workload(300, 1)
    outcome = run_queue(workload, SMALL_TRANSCRIBE, LambdaQuotas(), small_queue_design, minimum=1)
    assert outcome.attempts > workload.uploads  # Transcribe pushed back
    assert outcome.peak_attempts <= SMALL_TRANSCRIBE.start_rate
    assert_every_upload_started_once_as_the_ledger_says(outcome, workload)
    calls = outcome.ledger["calls"]["upload"]
    assert calls["DynamoDB.PutItem"] >= workload.uploads and calls["DynamoDB.UpdateItem"] >= workload.uploads


def test_every_lost_job_end_is_repaired_by_the_next_reconciler_run(small_queue_design):
    workload = Workload(100, 1)
    outcome = run_queue(workload, SMALL_TRANSCRIBE, LambdaQuotas(), small_queue_design, minimum=1, lost_events=1.0)
    assert outcome.ledger["job-state events lost"] == outcome.ledger["repaired by the reconciler"] == workload.uploads
    assert outcome.ledger["longest repair"] <= small_queue_design.reconciler.period
    assert_every_upload_started_once_as_the_ledger_says(outcome, workload)


def test_a_backlog_longer_than_the_queues_retention_is_carried_over_not_dead_lettered(small_queue_design):
    """One job at a time, a day and a half each: the last of 10 uploads starts after 12 days,
    beyond the 11 after which the upload function sends a message again. (The reconciler runs
    every 6 hours here, to keep the test short.)"""
    slow = TranscribeQuotas(start_rate=1, start_burst=1, running_jobs=1, queued_jobs=1, job_seconds=1.5 * DAY)
    every_6_hours = replace(small_queue_design.reconciler, period=6 * 3600,
                            environ={**small_queue_design.reconciler.environ, "RECONCILE_MINUTES": "360"})  # fmt: skip
    settings = replace(small_queue_design, timeout=10.0, reconciler=every_6_hours)
    workload = Workload(10, 1)
    outcome = run_queue(workload, slow, LambdaQuotas(), settings, minimum=1)
    assert outcome.last_start > 11 * DAY
    assert outcome.ledger["carried over"] + outcome.ledger["re-sent by the reconciler"] > 0
    assert_every_upload_started_once_as_the_ledger_says(outcome, workload)
