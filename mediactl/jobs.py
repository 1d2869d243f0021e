"""A stack's Transcribe jobs: listing, describing, following one to its end, deleting."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from mediactl.aws import error_code

DONE = ("COMPLETED", "FAILED")
# S3's LastModified has whole seconds, Transcribe's CreationTime does not.
CLOCK_SLACK = timedelta(seconds=2)
DESCRIBE_THREADS = 8


@dataclass(frozen=True)
class Backoff:
    """Waits between polls: `first` seconds, growing by `factor` up to `most`."""

    first: float = 2.0
    factor: float = 1.5
    most: float = 30.0

    def intervals(self):
        interval = self.first
        while True:
            yield interval
            interval = min(interval * self.factor, self.most)


POLL = Backoff()
# How long an upload's job may take to appear before we stop looking (the function may have failed).
START_TIMEOUT = 300.0


def pause(seconds: float) -> None:
    time.sleep(seconds)


def list_jobs(transcribe, prefix: str, status: str | None = None) -> list[dict]:
    """Summaries of the jobs whose names start with `prefix` (and in `status`), newest first."""
    request = {"MaxResults": 100}
    if prefix:
        request["JobNameContains"] = prefix
    if status:
        request["Status"] = status
    jobs = []
    while True:
        page = transcribe.list_transcription_jobs(**request)
        jobs += [job for job in page.get("TranscriptionJobSummaries", []) if job["TranscriptionJobName"].startswith(prefix)]
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    return sorted(jobs, key=lambda job: job["CreationTime"], reverse=True)


def describe_job(transcribe, name: str) -> dict:
    return transcribe.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"]


def describe_jobs(transcribe, summaries: list[dict]) -> list[dict]:
    """The jobs in full (summaries lack the media), a few requests at a time."""
    with ThreadPoolExecutor(max_workers=DESCRIBE_THREADS) as pool:
        described = pool.map(lambda summary: describe_job(transcribe, summary["TranscriptionJobName"]), summaries)
        return [{**summary, **job} for summary, job in zip(summaries, described)]


def find_job(transcribe, prefix: str, media_uri: str, since: datetime, checked: set[str]) -> dict | None:
    """The newest job of `media_uri` created since `since`. Its name holds S3's sequencer, which
    the uploader never sees, so it is found by its media among the jobs created since the upload.
    Jobs named in `checked` are known to be of other media; those looked at now are added."""
    recent = [job for job in list_jobs(transcribe, prefix) if job["CreationTime"] >= since - CLOCK_SLACK]
    for summary in recent:
        if summary["TranscriptionJobName"] in checked:
            continue
        job = describe_job(transcribe, summary["TranscriptionJobName"])
        if job.get("Media", {}).get("MediaFileUri") == media_uri:
            return job
        checked.add(summary["TranscriptionJobName"])
    return None


def wait_for_end(transcribe, job: dict, on_status, backoff: Backoff = POLL, timeout: float | None = None) -> dict:
    """Poll the job until it is COMPLETED or FAILED, or `timeout` seconds of waits have passed
    (the job is then returned as it last was); `on_status(status)` after each look."""
    intervals = backoff.intervals()
    waited = 0.0
    while job.get("TranscriptionJobStatus") not in DONE and (timeout is None or waited < timeout):
        on_status(job.get("TranscriptionJobStatus", "QUEUED"))
        interval = next(intervals)
        pause(interval)
        waited += interval
        job = describe_job(transcribe, job["TranscriptionJobName"])
    return job


def job_duration(job: dict, now: datetime | None = None) -> timedelta | None:
    """How long the job ran (so far, if it still runs); None before it started."""
    start = job.get("StartTime")
    if start is None:
        return None
    end = job.get("CompletionTime") or now or datetime.now(timezone.utc)
    return max(end - start, timedelta(0))


def delete_job(transcribe, name: str) -> bool:
    """Delete a job; False if it was already gone."""
    try:
        transcribe.delete_transcription_job(TranscriptionJobName=name)
    except ClientError as error:
        if error_code(error) == "BadRequestException" and "couldn't be found" in str(error):
            return False
        raise
    return True
