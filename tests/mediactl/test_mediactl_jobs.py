"""`jobs` and `clean`: a stack's transcription jobs, listed or deleted."""

import io
import sys
from datetime import datetime, timedelta, timezone

import pytest

from function import naming
from mediactl import jobs
from mediactl_fakes import PROJECT, deploy, moto_job

T0 = datetime(2026, 3, 1, 9, 0, 0)


def add_job(transcribe, prefix: str, media_key: str, created: datetime, status: str = "COMPLETED", ran: timedelta | None = None, reason=None) -> str:
    name = f"{prefix}{media_key.replace('/', '-')}-0123456789abcdef"
    transcribe.start_transcription_job(
        TranscriptionJobName=name,
        Media={"MediaFileUri": f"s3://media/{media_key}"},
        LanguageCode="en-US",
    )
    job = moto_job(name)
    job.status = status
    job.creation_time = created
    if ran is not None:
        job.start_time = created + timedelta(seconds=5)
        job.completion_time = job.start_time + ran
    job.failure_reason = reason
    return name


def job_names(transcribe) -> set[str]:
    return {job["TranscriptionJobName"] for job in transcribe.list_transcription_jobs()["TranscriptionJobSummaries"]}


def test_jobs_lists_the_stack_jobs_newest_first_with_status_media_created_and_duration(run, pipeline, pulumi, transcribe):
    prefix = pipeline.job_name_prefix
    older = add_job(transcribe, prefix, "a.mp3", T0, ran=timedelta(minutes=2, seconds=5))
    newer = add_job(transcribe, prefix, "team/b.mp3", T0 + timedelta(hours=1), ran=timedelta(seconds=42))
    # 'dev-eu' starts like 'dev': its jobs must not show up among dev's.
    other = add_job(transcribe, deploy(pulumi, "dev-eu").job_name_prefix, "c.mp3", T0 + timedelta(hours=2))

    result = run("jobs", "--stack", "dev")

    assert result.code == 0, result.err
    assert other not in result.out
    assert result.out.index(newer) < result.out.index(older)
    newer_row = next(line for line in result.out.splitlines() if newer in line)
    assert "COMPLETED" in newer_row
    assert "s3://media/team/b.mp3" in newer_row
    assert (T0 + timedelta(hours=1)).replace(tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M") in newer_row
    assert "42s" in newer_row
    assert "2m 05s" in next(line for line in result.out.splitlines() if older in line)


def test_jobs_shows_why_a_job_failed(run, pipeline, transcribe):
    add_job(transcribe, pipeline.job_name_prefix, "bad.mp3", T0, status="FAILED", reason="The media format doesn't match")

    result = run("jobs", "--stack", "dev")

    assert "FAILED: The media format doesn't match" in result.out


def test_jobs_by_prefix_needs_no_stack(run, transcribe):
    mine = add_job(transcribe, "adhoc-", "x.wav", T0)
    add_job(transcribe, "other-", "y.wav", T0)

    result = run("jobs", "--job-prefix", "adhoc-")

    assert result.code == 0, result.err
    assert mine in result.out
    assert "other-" not in result.out


def test_jobs_says_so_when_there_are_none(run, pipeline):
    result = run("jobs", "--stack", "dev")

    assert result.code == 0
    assert result.out == f"no transcription jobs whose names start with '{pipeline.job_name_prefix}'\n"


def test_jobs_limit_shows_the_newest(run, pipeline, transcribe):
    names = [add_job(transcribe, pipeline.job_name_prefix, f"n{i}.mp3", T0 + timedelta(minutes=i)) for i in range(3)]

    result = run("jobs", "--stack", "dev", "--limit", "2")

    assert names[2] in result.out and names[1] in result.out
    assert names[0] not in result.out
    assert "the newest 2 of 3 jobs" in result.err


def test_clean_with_yes_deletes_the_ended_jobs_of_the_stack_only(run, pipeline, pulumi, transcribe):
    prefix = pipeline.job_name_prefix
    completed = add_job(transcribe, prefix, "a.mp3", T0)
    failed = add_job(transcribe, prefix, "b.mp3", T0, status="FAILED", reason="bad media")
    running = add_job(transcribe, prefix, "c.mp3", T0, status="IN_PROGRESS")
    other = add_job(transcribe, deploy(pulumi, "dev-eu").job_name_prefix, "d.mp3", T0)

    result = run("clean", "--stack", "dev", "--yes")

    assert result.code == 0, result.err
    assert job_names(transcribe) == {running, other}
    assert completed not in job_names(transcribe) and failed not in job_names(transcribe)
    assert "deleted 2 transcription jobs" in result.out
    assert "1 job still queued or running is left alone" in result.err


@pytest.mark.parametrize(("answer", "kept"), [("n\n", True), ("", True), ("y\n", False)])
def test_clean_asks_before_deleting(run, pipeline, transcribe, monkeypatch, answer, kept):
    name = add_job(transcribe, pipeline.job_name_prefix, "a.mp3", T0)
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))

    result = run("clean", "--stack", "dev")

    assert (name in job_names(transcribe)) is kept
    assert result.code == (1 if kept else 0)
    assert "Delete 1 transcription job whose" in result.err
    assert (result.out == "deleted 1 transcription job (their transcripts stay in the output bucket)\n") is not kept


def test_clean_after_destroy_finds_the_jobs_by_the_shared_naming_rule(run, pulumi, transcribe):
    pulumi.add("gone", {})
    prefix = naming.job_name_prefix(PROJECT, "gone")
    name = add_job(transcribe, prefix, "a.mp3", T0)

    result = run("clean", "--stack", "gone", "--yes")

    assert result.code == 0, result.err
    assert name not in job_names(transcribe)
    assert f"using '{prefix}'" in result.err


def test_clean_with_nothing_to_delete_says_so(run, pipeline):
    result = run("clean", "--stack", "dev", "--yes")

    assert result.code == 0
    assert "nothing to delete" in result.out


class PagedTranscribe:
    """Answers ListTranscriptionJobs in pages of two, oldest first."""

    def __init__(self, names: list[str]):
        self.summaries = [
            {"TranscriptionJobName": name, "CreationTime": T0 + timedelta(minutes=i), "TranscriptionJobStatus": "COMPLETED"}
            for i, name in enumerate(names)
        ]
        self.requests: list[dict] = []

    def list_transcription_jobs(self, **request):
        self.requests.append(request)
        start = int(request.get("NextToken", 0))
        page = {"TranscriptionJobSummaries": self.summaries[start : start + 2]}
        if start + 2 < len(self.summaries):
            page["NextToken"] = str(start + 2)
        return page


def test_list_jobs_reads_every_page_and_keeps_only_names_that_start_with_the_prefix():
    transcribe = PagedTranscribe(["p-1", "x-p-2", "p-3", "p-4", "other"])

    listed = jobs.list_jobs(transcribe, "p-")

    assert [job["TranscriptionJobName"] for job in listed] == ["p-4", "p-3", "p-1"]
    assert len(transcribe.requests) == 3
    assert all(request["JobNameContains"] == "p-" for request in transcribe.requests)


def test_jobs_refuses_a_prefix_no_job_name_can_start_with(run):
    result = run("jobs", "--job-prefix", "no spaces/")

    assert result.code == 2
    assert result.err == "mediactl: error: --job-prefix 'no spaces/' is not the start of a Transcribe job name\n"
