"""Warm per-record overhead: one S3 record through a warm handler, the AWS call faked.

Both handlers get the same one-record S3 events (URL-encoded keys of several shapes): the classic
one as S3 invokes it, one event per invocation; ours as its queue hands them over, each event the
body of one SQS message, ten messages a batch. Both get the same fake Transcribe client, whose `start_transcription_job` returns at once; what is left is
the handler's own work per record. Our handler runs as the dev stack configures it (tags,
subtitles, data-access role), with its pacing computed but never waited for, and writes its log line
through a JSON formatter to /dev/null, as Lambda's JSON log format would; the classic handler logs
nothing.
"""

import gc
import json
import logging
import os
import time

from bench.common import Row, handler_environ, interleaved, median, paired_ratio, patched, ratio, use_fake_aws

KEYS = [
    "talk.mp3",
    "LOUD.MP3",
    "team/2026/stand up (final).m4a",
    "Ünïcödé/会议 🎙.wav",
    "podcasts/" + "episode-" * 20 + "42.flac",
]


class FakeClient:
    """Stands in for the boto3 clients: every call returns at once (the ledger's writes succeed,
    as for an upload reported for the first time)."""

    def start_transcription_job(self, **request):
        return {}

    def put_object(self, **request):
        return {}

    def put_item(self, **request):
        return {}

    def update_item(self, **request):
        return {}


class JsonLines(logging.Formatter):
    """About what Lambda's JSON log format writes: time, level, message, logger and the extras."""

    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": self.formatTime(record),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": "bench",
        }
        line.update((k, v) for k, v in vars(record).items() if k not in self._STANDARD)
        return json.dumps(line, default=str)


def events(count: int) -> list[dict]:
    from events import s3_event, s3_record

    return [s3_event(s3_record(KEYS[i % len(KEYS)], sequencer=f"{i:018X}")) for i in range(count)]


class NoSleep:
    """The handler's clock, without the waits."""

    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)

    @staticmethod
    def sleep(seconds: float) -> None:
        pass


def sqs_batches(s3_events: list[dict], size: int = 10) -> list[dict]:
    """The events as the upload queue hands them to the function: one message each, `size` a batch."""
    records = [
        {
            "messageId": f"m-{n}",
            "receiptHandle": f"r-{n}",
            "body": json.dumps(event),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:uploads",
            "awsRegion": "us-east-1",
        }
        for n, event in enumerate(s3_events)
    ]
    return [{"Records": records[i : i + size]} for i in range(0, len(records), size)]


def per_record_us(lambda_handler, invocations: list[dict], records: int):
    def run() -> float:
        gc.collect()
        started = time.perf_counter_ns()
        for event in invocations:
            lambda_handler(event, None)
        return (time.perf_counter_ns() - started) / records / 1000

    return run


def measure(quick: bool) -> list[Row]:
    rounds, per_round = (5, 500) if quick else (15, 2000)
    use_fake_aws(handler_environ())
    # An endpoint that refuses at once for the clients made here (the handler's, at its import): a
    # call left unfaked fails, it never leaves the machine. Not kept: later benchmarks use moto.
    os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    try:
        return measure_with_fakes(rounds, per_round)
    finally:
        del os.environ["AWS_ENDPOINT_URL"]


def measure_with_fakes(rounds: int, per_round: int) -> list[Row]:
    from bench import classic_handler
    import handler

    fake = FakeClient()
    batch = events(per_round)
    batches = sqs_batches(batch)
    sink = open(os.devnull, "w")  # noqa: SIM115 - closed below
    log_handler = logging.StreamHandler(sink)
    log_handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.addHandler(log_handler)
    try:
        with (
            patched(handler, "transcribe", fake),
            patched(handler, "s3", lambda: fake),
            patched(handler.ledger, "client", fake),
            patched(handler.counts, "client", fake),
            patched(handler, "clock", NoSleep),
            patched(handler, "pacer", handler.Pacer(1e12)),
            patched(handler.metrics, "write", lambda line: print(line, file=sink)),
            patched(classic_handler, "transcribe", fake),
        ):
            samples = interleaved(
                {
                    "ours": per_record_us(handler.lambda_handler, batches, len(batch)),
                    "baseline": per_record_us(classic_handler.lambda_handler, batch, len(batch)),
                },
                runs=rounds,
            )
            with patched(handler.logger, "disabled", True):
                quiet = interleaved({"quiet": per_record_us(handler.lambda_handler, batches, len(batch))}, runs=rounds)["quiet"]
            outcome = handler.lambda_handler(batches[0], None)
    finally:
        root.removeHandler(log_handler)
        sink.close()
    assert outcome == {"batchItemFailures": []}, outcome

    ours, baseline = samples["ours"], samples["baseline"]
    return [
        Row(
            figure="Warm per-record overhead, AWS call faked: our handler vs classic tutorial handler",
            ours=f"{median(ours):.1f} µs",
            baseline=f"{median(baseline):.1f} µs",
            ratio=ratio(paired_ratio(ours, baseline)),
            note=(
                f"Warm per record: {rounds} interleaved rounds of {per_round:,} one-record S3 events "
                f"({len(KEYS)} key shapes, URL-encoded; ours in SQS batches of 10), µs per record, medians and the median of "
                "per-round ratios; the fake Transcribe returns at once. Ours: `handler.lambda_handler` "
                "as the dev stack configures it, JSON log lines and metrics line to /dev/null included "
                f"({median(quiet):.1f} µs with its logger off). Baseline: `bench/classic_handler.py` "
                "(first record only, `re.sub(r\"\\W\", \"_\", key.lower())` as job name, default retries, "
                "no logging)."
            ),
        )
    ]
