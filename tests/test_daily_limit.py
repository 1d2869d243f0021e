"""maxJobsPerDay: once the stack has started that many jobs in a UTC day, the upload function
starts no more until the next day. Uploads wait in the upload queue (handed back with a backoff
that grows to the next day, SQS's 12 hours at most), none is dead-lettered or lost, and the next
UTC day, on the function's virtual clock, they start."""

import json

import pytest

import daily
import sqs_batch
from events import s3_event, s3_record
from lambda_env import fresh_import
from faults import refusing

LIMIT = 3


@pytest.fixture
def limited(pipeline, handler_env):
    handler_env.setenv("MAX_JOBS_PER_DAY", str(LIMIT))
    pipeline.handler = fresh_import("handler")
    pipeline.handler.clock = pipeline.clock
    # Mid-morning UTC: the day has 14 hours to go, more than SQS's 12.
    pipeline.clock.now = pipeline.clock.now // 86400 * 86400 + 10 * 3600
    return pipeline


def day_item(pipeline, day: str) -> dict:
    item = pipeline.dynamodb.get_item(TableName="ledger", Key={"media": {"S": "#day"}, "version": {"S": day}}).get("Item", {})
    return {k: float(v["N"]) for k, v in item.items() if "N" in v}


def visibility_changes(pipeline) -> list[int]:
    changes = []
    pipeline.handler.sqs().meta.events.register(
        "provide-client-params.sqs.ChangeMessageVisibilityBatch",
        lambda params, **_: changes.extend(e["VisibilityTimeout"] for e in params["Entries"]),
    )
    return changes


def test_at_the_limit_every_other_upload_waits_in_the_queue_until_the_next_utc_day(limited, capsys):
    pipeline = limited
    changes = visibility_changes(pipeline)
    today = daily.day_of(pipeline.clock.time())
    failed = pipeline.deliver(*(s3_event(s3_record(f"talk-{n}.mp3")) for n in range(5)))

    assert len(pipeline.job_names()) == LIMIT and len(failed) == 5 - LIMIT
    assert changes and all(0 < seconds <= sqs_batch.MAX_VISIBILITY for seconds in changes)
    counts = day_item(pipeline, today)
    assert counts["started"] == LIMIT and counts["dailyLimit"] == LIMIT and counts["limitReachedAt"] > 0
    assert '"DailyLimitReached":1' in capsys.readouterr().out

    # Held all day: every receive hands the messages back, later and later; none dead-lettered.
    for _ in range(12):
        pipeline.later()
        pipeline.poll()
    assert len(pipeline.job_names()) == LIMIT and pipeline.dead_letters() == [] and pipeline.queued() == 5 - LIMIT
    assert max(changes) == sqs_batch.MAX_VISIBILITY, "the backoff grew to SQS's 12 hours"

    pipeline.clock.now = (pipeline.clock.now // 86400 + 1) * 86400 + 60  # the next UTC day
    pipeline.later()
    while pipeline.queued():
        pipeline.poll()
    assert len(pipeline.job_names()) == 5
    assert day_item(pipeline, daily.day_of(pipeline.clock.time()))["started"] == 5 - LIMIT


def test_near_midnight_a_held_upload_comes_back_when_the_day_turns(limited):
    pipeline = limited
    pipeline.clock.now = pipeline.clock.now // 86400 * 86400 + 86400 - 90  # 23:58:30 UTC
    changes = visibility_changes(pipeline)
    pipeline.deliver(*(s3_event(s3_record(f"late-{n}.mp3")) for n in range(LIMIT + 1)))
    for _ in range(8):
        pipeline.later()
        pipeline.poll()
    assert max(changes) <= 90


def test_a_start_that_makes_no_job_is_not_counted(limited, monkeypatch):
    pipeline = limited
    today = daily.day_of(pipeline.clock.time())
    event = s3_event(s3_record("once.mp3"))
    pipeline.deliver(event)
    monkeypatch.setattr(pipeline.handler.transcribe, "start_transcription_job", refusing("ThrottlingException"))
    pipeline.deliver(s3_event(s3_record("throttled.mp3")), seconds=15)
    assert day_item(pipeline, today)["started"] == 1


def test_raising_the_limit_starts_again_at_once(limited, handler_env):
    pipeline = limited
    pipeline.deliver(*(s3_event(s3_record(f"talk-{n}.mp3")) for n in range(LIMIT + 2)))
    assert len(pipeline.job_names()) == LIMIT
    handler_env.setenv("MAX_JOBS_PER_DAY", str(LIMIT + 10))  # `pulumi up` with a higher maxJobsPerDay
    pipeline.handler = fresh_import("handler")
    pipeline.handler.clock = pipeline.clock
    pipeline.deliver(s3_event(s3_record("new.mp3")))
    assert len(pipeline.job_names()) == LIMIT + 1, "a new upload starts at once"


def test_without_a_limit_the_day_s_starts_are_still_counted(pipeline):
    pipeline.deliver(*(s3_event(s3_record(f"talk-{n}.mp3")) for n in range(4)))
    assert day_item(pipeline, daily.day_of(pipeline.clock.time()))["started"] == 4
    assert "limitReachedAt" not in day_item(pipeline, daily.day_of(pipeline.clock.time()))


def test_a_negative_limit_stops_the_function_with_one_sentence(aws_credentials, handler_env):
    handler_env.setenv("MAX_JOBS_PER_DAY", "-1")
    with pytest.raises(ValueError, match=r"^MAX_JOBS_PER_DAY is -1: use 0 \(no limit\) or more$"):
        fresh_import("handler")


def test_the_counts_of_several_days_are_read_back_by_day(pipeline):
    counts = daily.DailyCounts(pipeline.dynamodb, "ledger")
    for day, minutes in (("2026-11-30", 5.5), ("2026-12-01", 2.0), ("2026-12-02", 1.0)):
        counts.count_end(day, completed=True, minutes=minutes)
    found = counts.days("2026-12-01", "2026-12-31")
    assert json.loads(json.dumps(found)) == {"2026-12-01": {"completed": 1.0, "minutes": 2.0}, "2026-12-02": {"completed": 1.0, "minutes": 1.0}}
