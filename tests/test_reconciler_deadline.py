"""The reconciler keeps to its Lambda timeout however slow a page of the listing is to settle:
found by the scale simulation (bench/reconcile_cost.py), where a page of 1,000 objects that have
no ledger item and no transcript takes about 80 s (two HeadObject calls, two ledger writes and a
tenth of a SendMessageBatch each), longer than the 30 s the run keeps in hand; the run then went
past 900 s, Lambda stopped it, and the listing's place was never saved."""

import pytest

from events import MEDIA_BUCKET
from lambda_env import LambdaContext, fresh_import

GRACE_PASSED = 20 * 60
S3_CALL_SECONDS = 0.2


@pytest.fixture
def reconciler(pipeline, handler_env):
    for name, value in (("MEDIA_BUCKET", MEDIA_BUCKET), ("KEY_PREFIX", ""), ("UPLOAD_QUEUE_URL", pipeline.queue_url),
                        ("COMPLETION_FUNCTION", "completion")):  # fmt: skip
        handler_env.setenv(name, value)
    module = fresh_import("reconcile")
    module.clock = pipeline.clock
    # Every S3 call takes virtual time; the rest is instant.
    module.s3.meta.events.register("before-call.s3", lambda **_: pipeline.clock.sleep(S3_CALL_SECONDS))
    return module


def test_a_run_stops_within_its_time_even_in_the_middle_of_a_slow_page_and_the_next_goes_on(pipeline, reconciler):
    keys = [f"old/{n:03d}.mp3" for n in range(120)]  # one listing page; two HeadObject calls each: 48 s
    for key in keys:
        pipeline.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=b"ID3")
    pipeline.clock.now += GRACE_PASSED
    timeout = 45.0  # under the page's 48 s; the run keeps 30 s in hand, so it has 15 s to list

    started = pipeline.clock.monotonic()
    first = reconciler.lambda_handler({}, LambdaContext(pipeline.clock, timeout))

    assert pipeline.clock.monotonic() - started <= timeout, "Lambda would have stopped the run"
    assert not first["pass_complete"] and 0 < first["unrecorded_sent"] < len(keys)
    rest = reconciler.lambda_handler({}, LambdaContext(pipeline.clock, 900))
    assert rest["pass_complete"] and first["unrecorded_sent"] + rest["unrecorded_sent"] == len(keys)
    recorded = sorted(item["key"] for item in pipeline.ledger() if item["media"][0] != "#")
    assert recorded == keys and pipeline.queued() == len(keys), "each object recorded and sent once"
