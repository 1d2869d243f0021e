"""The scale simulation (`python -m bench scale`) on small workloads: nothing it models vanishes,
and the real upload handler keeps StartTranscriptionJob within the modelled rate."""

import os

import pytest

from bench.scale import QueueDesignSettings, Workload, run_direct, run_queue
from bench.sim import Simulation
from bench.sim_aws import QUEUE_FULL, THROTTLED, LambdaQuotas, Queue, Transcribe, TranscribeQuotas, earliest_last_start
from bench.sim_http import queue_url
from bench.sim_queue import MappingSettings

# Small quotas, so that a few hundred uploads meet throttling and a full Transcribe queue.
SMALL_TRANSCRIBE = TranscribeQuotas(start_rate=10, start_burst=10, running_jobs=20, queued_jobs=40, job_seconds=30)


def test_transcribe_throttles_beyond_its_rate_then_refuses_beyond_its_queue():
    sim = Simulation()
    transcribe = Transcribe(sim, TranscribeQuotas(start_rate=5, start_burst=5, running_jobs=2, queued_jobs=2, job_seconds=10))
    answers = [transcribe.start(f"job-{n}") for n in range(6)]
    assert answers == [None, None, None, None, QUEUE_FULL, THROTTLED]
    sim.run(until=11)
    assert transcribe.start("job-4") is None


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
    """The buffered design with the handler's test environment and two instances, each paced so
    that its most calls in any second (the pacer's rate + 1) keep the two within the small rate."""
    names = ("OUTPUT_BUCKET", "OUTPUT_PREFIX", "LANGUAGE_CODE", "JOB_NAME_PREFIX", "JOB_TAGS")
    environ = {name: os.environ[name] for name in names}
    environ["START_RATE"] = str(SMALL_TRANSCRIBE.start_rate / 2 - 1)
    environ["DEAD_LETTER_QUEUE_URL"] = queue_url("upload-dead-letters")
    return QueueDesignSettings(
        memory_mb=128, timeout=60, visibility=360, retention=14 * 86_400, max_receive=100,
        mapping=MappingSettings(batch_size=10, maximum_concurrency=2), environ=environ,
    )


def test_the_real_handler_starts_or_queues_every_upload_within_the_modelled_rate(small_queue_design):
    workload = Workload(300, 1)
    outcome = run_queue(workload, SMALL_TRANSCRIBE, LambdaQuotas(), small_queue_design, minimum=1)
    assert outcome.attempts > workload.uploads  # Transcribe pushed back
    assert outcome.vanished == 0
    assert outcome.started == workload.uploads
    assert outcome.peak_attempts <= SMALL_TRANSCRIBE.start_rate
