"""Warm per-record overhead: one S3 record through a warm handler, the AWS call faked.

Both handlers get the same one-record events (S3-shaped, URL-encoded keys of several shapes) and
the same fake Transcribe client, whose `start_transcription_job` returns at once; what is left is
the handler's own work per record. Our handler runs as the dev stack configures it (tags,
subtitles, data-access role) and writes its log line through a JSON formatter to /dev/null, as
Lambda's JSON log format would; the classic handler logs nothing.
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
    """Stands in for the boto3 clients: every call returns at once."""

    def start_transcription_job(self, **request):
        return {}

    def put_object(self, **request):
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


def per_record_us(lambda_handler, batch: list[dict]):
    def run() -> float:
        gc.collect()
        started = time.perf_counter_ns()
        for event in batch:
            lambda_handler(event, None)
        return (time.perf_counter_ns() - started) / len(batch) / 1000

    return run


def measure(quick: bool) -> list[Row]:
    rounds, per_round = (5, 500) if quick else (15, 2000)
    use_fake_aws(handler_environ())
    from bench import classic_handler
    import handler

    fake = FakeClient()
    batch = events(per_round)
    sink = open(os.devnull, "w")  # noqa: SIM115 - closed below
    log_handler = logging.StreamHandler(sink)
    log_handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.addHandler(log_handler)
    try:
        with patched(handler, "transcribe", fake), patched(handler, "s3", lambda: fake), patched(classic_handler, "transcribe", fake):
            samples = interleaved(
                {
                    "ours": per_record_us(handler.lambda_handler, batch),
                    "baseline": per_record_us(classic_handler.lambda_handler, batch),
                },
                runs=rounds,
            )
            with patched(handler.logger, "disabled", True):
                quiet = interleaved({"quiet": per_record_us(handler.lambda_handler, batch)}, runs=rounds)["quiet"]
            outcomes = handler.lambda_handler(batch[0], None)
    finally:
        root.removeHandler(log_handler)
        sink.close()
    assert outcomes == {"started": 1}, outcomes

    ours, baseline = samples["ours"], samples["baseline"]
    return [
        Row(
            figure="Warm per-record overhead, AWS call faked: our handler vs classic tutorial handler",
            ours=f"{median(ours):.1f} µs",
            baseline=f"{median(baseline):.1f} µs",
            ratio=ratio(paired_ratio(ours, baseline)),
            note=(
                f"Warm per record: {rounds} interleaved rounds of {per_round:,} one-record events "
                f"({len(KEYS)} key shapes, URL-encoded), µs per record, medians and the median of "
                "per-round ratios; the fake Transcribe returns at once. Ours: `handler.lambda_handler` "
                "as the dev stack configures it, JSON log line to /dev/null included "
                f"({median(quiet):.1f} µs with its logger off). Baseline: `bench/classic_handler.py` "
                "(first record only, `re.sub(r\"\\W\", \"_\", key.lower())` as job name, default retries, "
                "no logging)."
            ),
        )
    ]
