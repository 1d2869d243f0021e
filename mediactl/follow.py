"""`upload --wait`: follow an upload to its transcription job's end and bring the transcript home."""

from dataclasses import dataclass, field
from pathlib import Path

from function import naming, readable
from mediactl import jobs
from mediactl.jobs import CLOCK_SLACK
from mediactl.stack import Target
from mediactl.transcripts import download, error_note, read_transcript, s3_location
from mediactl.uploads import Uploaded


@dataclass
class Outcome:
    uploaded: Uploaded
    job_name: str | None = None
    failure: str | None = None
    files: list[Path] = field(default_factory=list)
    text: str = ""


def follow_upload(clients, target: Target, uploaded: Uploaded, out_dir: Path, on_status) -> Outcome:
    """Find the upload's job, wait for its end, download what it wrote into `out_dir`."""
    found = wait_for_job(clients, target, uploaded, on_status)
    if isinstance(found, Outcome):
        return found
    job = jobs.wait_for_end(clients.transcribe, found, on_status)
    outcome = Outcome(uploaded, job_name=job["TranscriptionJobName"])
    if job["TranscriptionJobStatus"] == "FAILED":
        outcome.failure = job.get("FailureReason", "Transcribe gave no reason")
        return outcome
    on_status("downloading")
    # With PII redaction, the redacted transcript: the unredacted one stays under its own prefix.
    transcript_uri = job["Transcript"].get("RedactedTranscriptFileUri") or job["Transcript"]["TranscriptFileUri"]
    bucket, key = s3_location(transcript_uri)
    transcript = download(clients.s3, bucket, key, out_dir)
    if transcript is None:
        outcome.failure = f"the job completed but its transcript is not at {transcript_uri}"
        return outcome
    outcome.files.append(transcript)
    outcome.text = readable.transcript_text(read_transcript(transcript.read_bytes(), transcript_uri).get("results") or {})
    for uri in job.get("Subtitles", {}).get("SubtitleFileUris", []):
        if path := download(clients.s3, *s3_location(uri), out_dir):
            outcome.files.append(path)
    # The completion function writes the .txt a moment after the job ends: take it if it is
    # there, else write the same text here.
    text_key = naming.text_key(target.output_prefix, uploaded.media.key)
    if not (path := download(clients.s3, bucket, text_key, out_dir)):
        path = out_dir / text_key.rsplit("/", 1)[-1]
        path.write_text(outcome.text, encoding="utf-8")
    outcome.files.append(path)
    return outcome


def wait_for_job(clients, target: Target, uploaded: Uploaded, on_status) -> dict | Outcome:
    """The upload's job once the function has started it, or the Outcome that says why it won't."""
    intervals = jobs.POLL.intervals()
    waited = 0.0
    other_media: set[str] = set()
    while True:
        job = jobs.find_job(clients.transcribe, target.job_name_prefix, uploaded.uri, uploaded.last_modified, other_media)
        if job:
            return job
        if target.output_bucket:
            note = error_note(clients.s3, target.output_bucket, target.output_prefix, uploaded.media.key)
            if note and note.written >= uploaded.last_modified - CLOCK_SLACK:
                return Outcome(uploaded, job_name=note.job_name, failure=note.reason)
        if waited >= jobs.START_TIMEOUT:
            return Outcome(
                uploaded,
                failure=f"no transcription job started within {jobs.START_TIMEOUT:.0f} s: see the function's"
                " log group and the failure queue (`python -m mediactl redrive`)",
            )
        on_status("waiting for the job to start")
        interval = next(intervals)
        jobs.pause(interval)
        waited += interval
