"""Uploads through moto: how many Lambda invocations the program's notification rules cause,
and what a throttled burst of uploads becomes.

The program's own declarations (bucket name, function, notification rules, evaluated under
Pulumi mocks) are applied to moto as `tests/test_upload_end_to_end.py` does. moto matches the
rules and builds each S3 event; it cannot run Lambda code without Docker, so
`LambdaFunction.invoke` is replaced: it records the event (and the burst then hands moto's event
to the handler).
"""

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from bench.common import REGION, Row, declared_upload_function, handler_environ, patched, use_fake_aws, verdict

SEED = 7
THROTTLED_SHARE = 0.30

_FOLDERS = ["", "team/", "team/2026/", "Ünïcödé/", "podcasts/season 2/", "a+b/"]
_STEMS = ["talk", "stand up (final)", "interview", "会议", "episode", "Q&A session", "100% live"]
_OTHER = ["jpg", "png", "txt", "pdf", "mov", "avi", "docx", "csv", "mp3.zip", "wav.part", "JPG", "MOV"]


def media_keys(count: int, rng: random.Random) -> list[str]:
    """Media keys in every supported format, in lower and UPPER case (the cases the rules cover:
    S3 suffix filters are case-sensitive, a mixed-case `.Mp3` is documented not to trigger)."""
    from naming import SUPPORTED_FORMATS

    keys = []
    for i in range(count):
        extension = SUPPORTED_FORMATS[i % len(SUPPORTED_FORMATS)]
        extension = extension.upper() if (i // len(SUPPORTED_FORMATS)) % 2 else extension
        keys.append(f"{rng.choice(_FOLDERS)}{rng.choice(_STEMS)} {i}.{extension}")
    return keys


def other_keys(count: int, rng: random.Random) -> list[str]:
    """Uploads that are not media: images, documents, .mov, look-alikes, folder markers."""
    keys = []
    for i in range(count):
        folder, stem = rng.choice(_FOLDERS), rng.choice(_STEMS)
        kind = i % (len(_OTHER) + 2)
        if kind == len(_OTHER):
            keys.append(f"{folder}{stem} {i}.mp3/")  # a folder marker named like media
        elif kind == len(_OTHER) + 1:
            keys.append(f"{folder}{stem} {i}")  # no extension
        else:
            keys.append(f"{folder}{stem} {i}.{_OTHER[kind]}")
    return keys


@contextmanager
def moto_stack() -> Iterator[dict]:
    """In moto: the dev stack's media and transcripts buckets, its upload function (the
    program's package, runtime and handler), and invocations recorded instead of run."""
    import boto3
    from moto import mock_aws
    from moto.awslambda.models import LambdaFunction

    declared = declared_upload_function()
    invoked: list[dict] = []

    def record(self, body, request_headers, response_headers):
        invoked.append(json.loads(body))
        return json.dumps({})

    with mock_aws(), patched(LambdaFunction, "invoke", record):
        from program import stand_up_in_moto

        s3 = boto3.client("s3", region_name=REGION)
        function_arn = stand_up_in_moto(declared["program"], REGION)
        yield {"s3": s3, "function_arn": function_arn, "invoked": invoked, "declared": declared}


def program_rules(stack: dict) -> dict:
    from program import s3_notification_configuration

    return s3_notification_configuration(stack["declared"]["program"], stack["function_arn"])


def catch_all_rule(stack: dict) -> dict:
    return {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": stack["function_arn"], "Events": ["s3:ObjectCreated:*"]}]}


def media_uri(record: dict) -> str:
    return f"s3://{record['s3']['bucket']['name']}/{unquote_plus(record['s3']['object']['key'])}"


def invoked_keys(events: list[dict], bucket: str) -> list[str]:
    return [
        unquote_plus(record["s3"]["object"]["key"])
        for event in events
        for record in event["Records"]
        if record["s3"]["bucket"]["name"] == bucket
    ]


def measure_invocations(quick: bool) -> list[Row]:
    half = 100 if quick else 500
    rng = random.Random(SEED)
    media, other = media_keys(half, rng), other_keys(half, rng)
    uploads = media + other
    rng.shuffle(uploads)

    with moto_stack() as stack:
        s3 = stack["s3"]
        ours_bucket = stack["declared"]["media_bucket"]
        catch_all_bucket = f"{ours_bucket}-catch-all"
        s3.create_bucket(Bucket=catch_all_bucket)
        s3.put_bucket_notification_configuration(Bucket=ours_bucket, NotificationConfiguration=program_rules(stack))
        s3.put_bucket_notification_configuration(Bucket=catch_all_bucket, NotificationConfiguration=catch_all_rule(stack))
        for key in uploads:
            for bucket in (ours_bucket, catch_all_bucket):
                s3.put_object(Bucket=bucket, Key=key, Body=b"\x00" * 64)
        ours = invoked_keys(stack["invoked"], ours_bucket)
        catch_all = invoked_keys(stack["invoked"], catch_all_bucket)

    missed_media = len(set(media) - set(ours))
    needless = len(set(ours) - set(media))
    met = len(ours) == len(media) and missed_media == 0 and len(catch_all) == len(uploads)
    n = len(uploads)
    return [
        Row(
            figure=f"S3→Lambda invocations for {n:,} uploads ({len(media):,} media): program's rules vs catch-all",
            ours=f"{len(ours):,}",
            baseline=f"{len(catch_all):,}",
            ratio=f"{len(ours) / len(catch_all):.2f}×",
            goal=f"{len(media):,} vs {n:,}",
            met=verdict(met),
            note=(
                f"Invocations: {n:,} `put_object`s in moto, shuffled, to a bucket with the program's "
                f"{len(stack['declared']['notification'])} notification rules (dev stack) and to one with a "
                f"single `s3:ObjectCreated:*` rule; {len(media):,} media keys (8 formats, lower and UPPER case, "
                f"folders, spaces, Unicode), {len(other):,} others (.jpg .png .txt .pdf .mov .avi .docx .csv "
                f".JPG .MOV, `.mp3.zip`, `.wav.part`, `x.mp3/` folder markers, no extension); invocations counted "
                f"by patching moto's `LambdaFunction.invoke`. Our rules missed {missed_media} media uploads and "
                f"invoked for {needless} others."
            ),
        )
    ]


# --- burst ---------------------------------------------------------------------------------------


@dataclass
class Burst:
    """What one handler made of a burst of upload events under throttling."""

    uploads: int
    retries: str = ""
    """The handler's Transcribe client's retry mode and attempts, as botocore resolved them."""
    calls: int = 0
    throttled: int = 0
    started_media: set[str] = field(default_factory=set)
    sleeps: list[float] = field(default_factory=list)
    quota_refusals: int = 0
    lowest_quota: int | None = None
    longest_backoff: float = 0.0
    """The most backoff botocore asked for within one invocation, in seconds."""
    log_outcomes: Counter = field(default_factory=Counter)
    failed_first: int = 0
    failure_queue: list[dict] = field(default_factory=list)
    lost: int = 0


def run_burst(handler, events: list[dict], media_uris: set[str], rate: float, max_retries: int) -> Burst:
    """Every event through `handler.lambda_handler`, StartTranscriptionJob throttled at random
    (fixed seed) with LimitExceededException, botocore's sleeps recorded instead of slept;
    a failed invocation is invoked again up to `max_retries` times, as Lambda's asynchronous
    invocation does, and what still fails is what Lambda sends to the failure destination."""
    from botocore.retries.quota import RetryQuota
    from moto.core.exceptions import JsonRESTError
    from moto.transcribe.models import TranscribeBackend

    result = Burst(uploads=len(media_uris), retries=retry_setting(handler.transcribe))
    rng = random.Random(SEED)
    original_start = TranscribeBackend.start_transcription_job
    original_acquire = RetryQuota.acquire
    backends = []

    def start(backend, transcription_job_name, *args, **kwargs):
        result.calls += 1
        if rng.random() < rate:
            result.throttled += 1
            raise JsonRESTError("LimitExceededException", "You have exceeded the rate limit for StartTranscriptionJob.")
        backends.append(backend)
        return original_start(backend, transcription_job_name, *args, **kwargs)

    def acquire(quota, capacity_amount):
        granted = original_acquire(quota, capacity_amount)
        result.quota_refusals += not granted
        available = quota.available_capacity
        result.lowest_quota = available if result.lowest_quota is None else min(result.lowest_quota, available)
        return granted

    pending = events
    log = OutcomeCounter(result.log_outcomes)
    root = logging.getLogger()
    root.addHandler(log)
    try:
        with (
            patched(TranscribeBackend, "start_transcription_job", start),
            patched(RetryQuota, "acquire", acquire),
            patched(time, "sleep", result.sleeps.append),
        ):
            for invocation in range(1 + max_retries):
                failing = []
                for event in pending:
                    slept_before = len(result.sleeps)
                    try:
                        handler.lambda_handler(event, None)
                    except Exception:  # noqa: BLE001 - a failed invocation, whatever the handler raised
                        failing.append(event)
                    result.longest_backoff = max(result.longest_backoff, sum(result.sleeps[slept_before:]))
                if invocation == 0:
                    result.failed_first = len(failing)
                pending = failing
    finally:
        root.removeHandler(log)
    result.failure_queue = pending
    if backends:
        result.started_media = {job.media["MediaFileUri"] for job in backends[-1].transcriptions.values()}
    queued = {media_uri(record) for event in result.failure_queue for record in event["Records"]}
    result.lost = len(media_uris - result.started_media - queued)
    return result


class OutcomeCounter(logging.Handler):
    """Counts the handler's log lines by outcome instead of printing them."""

    def __init__(self, counts: Counter):
        super().__init__(level=logging.INFO)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[getattr(record, "outcome", "other")] += 1


def burst_events(count: int) -> tuple[list[dict], set[str], str]:
    """`count` media uploads to the stack's media bucket under the program's rules: the events
    moto emitted for them, and the media URIs."""
    rng = random.Random(SEED + 1)
    keys = media_keys(count, rng)
    with moto_stack() as stack:
        bucket = stack["declared"]["media_bucket"]
        stack["s3"].put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=program_rules(stack))
        for key in keys:
            stack["s3"].put_object(Bucket=bucket, Key=key, Body=b"\x00" * 64)
        events = list(stack["invoked"])
    assert len(events) == count, f"{len(events)} events for {count} media uploads"
    return events, {f"s3://{bucket}/{key}" for key in keys}, bucket


def burst_with(module: str, events: list[dict], media_uris: set[str], rate: float) -> Burst:
    from moto import mock_aws

    from infra.function import MAX_RETRIES

    from lambda_env import fresh_import

    declared = declared_upload_function()
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (declared["media_bucket"], declared["transcript_bucket"]):
            s3.create_bucket(Bucket=bucket)
        handler = fresh_import(module)
        return run_burst(handler, events, media_uris, rate, MAX_RETRIES)


def measure_burst(quick: bool, stress: bool) -> list[Row]:
    use_fake_aws(handler_environ())
    count = 200 if quick else 1000
    events, media_uris, _ = burst_events(count)
    ours = burst_with("handler", events, media_uris, THROTTLED_SHARE)
    classic = burst_with("bench.classic_handler", events, media_uris, THROTTLED_SHARE)
    share = f"{THROTTLED_SHARE:.0%}"
    rows = burst_rows(ours, classic, f"Burst, {count:,} uploads, {share} throttled", first=True)
    if stress:
        heavy = 0.70
        ours_heavy = burst_with("handler", events, media_uris, heavy)
        classic_heavy = burst_with("bench.classic_handler", events, media_uris, heavy)
        rows += burst_rows(ours_heavy, classic_heavy, f"Stress, {count:,} uploads, {heavy:.0%} throttled", first=False)
    return rows


def timeout() -> str:
    value = declared_upload_function()["function"].get("timeout")
    return f"{value:g}" if isinstance(value, (int, float)) else "?"


def botocore_version() -> str:
    import botocore

    return botocore.__version__


def retry_setting(client) -> str:
    """A client's retry mode and total attempts (initial call included), as botocore resolved
    them: `Config(retries={"max_attempts": n})` counts retries, so it means n + 1 attempts."""
    from botocore.retries.standard import DEFAULT_MAX_ATTEMPTS

    retries = client.meta.config.retries or {}
    mode = retries.get("mode", "legacy")
    attempts = retries.get("total_max_attempts", DEFAULT_MAX_ATTEMPTS if mode != "legacy" else 5)
    return f"{mode} mode, {attempts} attempts"


def burst_rows(ours: Burst, classic: Burst, title: str, first: bool) -> list[Row]:
    from infra.function import MAX_RETRIES

    n = ours.uploads
    note_quota = (
        f"quota refused {ours.quota_refusals:,} retries, lowest {ours.lowest_quota} of 500"
        if ours.lowest_quota is not None
        else "no retries asked"
    )
    rows = [
        Row(
            figure=f"{title}: jobs started",
            ours=f"{len(ours.started_media):,} / {n:,}",
            baseline=f"{len(classic.started_media):,} / {n:,}",
            ratio=f"{len(ours.started_media) / max(len(classic.started_media), 1):.2f}×",
        ),
        Row(
            figure=f"{title}: StartTranscriptionJob calls / botocore retries",
            ours=f"{ours.calls:,} / {len(ours.sleeps):,}",
            baseline=f"{classic.calls:,} / {len(classic.sleeps):,}",
            note=(
                f"{title}: {ours.throttled:,} of {ours.calls:,} calls throttled. Ours: {ours.retries}, "
                f"one client for the whole burst: {note_quota}; backoff it would have slept: "
                f"{sum(ours.sleeps):,.0f} s in all, at most {ours.longest_backoff:.1f} s within one invocation "
                f"(timeout {timeout()} s); log lines by outcome: {dict(sorted(ours.log_outcomes.items()))}."
            ),
        ),
        Row(
            figure=f"{title}: invocations failed, retried by Lambda",
            ours=f"{ours.failed_first:,}",
            baseline=f"{classic.failed_first:,}",
        ),
        Row(
            figure=f"{title}: events to the failure queue (after Lambda's {MAX_RETRIES} retries)",
            ours=f"{len(ours.failure_queue):,}",
            baseline=f"— ({len(classic.failure_queue):,} dropped: no failure queue)",
        ),
        Row(
            figure=f"{title}: uploads lost (no job, not in the failure queue)",
            ours=f"{ours.lost:,}",
            baseline=f"{classic.lost + len(classic.failure_queue):,}",
            goal="0",
            met=verdict(ours.lost == 0),
        ),
    ]
    if first:
        rows[0].note = (
            f"Burst: {n:,} media uploads to the dev stack's bucket in moto; moto's own events (one "
            f"record each) run through `handler.lambda_handler` against moto Transcribe, where "
            f"{THROTTLED_SHARE:.0%} of StartTranscriptionJob calls (random, seed {SEED}) raise "
            "LimitExceededException; botocore's sleeps are recorded, not slept. A failed invocation is "
            f"invoked again up to {MAX_RETRIES} times (the program's `maximum_retry_attempts`), after the whole "
            "first pass (Lambda waits 1 and 2 minutes); what still fails would go to the failure queue. "
            "Baseline: the classic handler, same events, same throttling, boto3's default retries "
            f"({classic.retries} in botocore {botocore_version()}) and, as the tutorial deploys it, no failure "
            f"destination: what fails {1 + MAX_RETRIES} times is dropped, i.e. lost."
        )
    return rows
