"""Finding and downloading a media file's transcript, or the note that says why there is none."""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from botocore.exceptions import ClientError

from mediactl.aws import is_missing
from mediactl.errors import BadInput, ToolError
from mediactl.stack import Target
from transcribe_pipeline.function import naming, readable

FORMATS = ("json", "txt", "srt", "vtt")


@dataclass(frozen=True)
class ErrorNote:
    """Why a media file has no transcript, as the function wrote it."""

    reason: str
    job_name: str
    written: datetime


def transcript_object_key(output_prefix: str, media_key: str, fmt: str) -> str:
    if fmt == "json":
        return naming.transcript_key(output_prefix, media_key)
    if fmt == "txt":
        return naming.text_key(output_prefix, media_key)
    return naming.subtitle_key(output_prefix, media_key, fmt)


def s3_location(uri: str) -> tuple[str, str]:
    """Bucket and key of the URI of an S3 object, as Transcribe reports its output files."""
    location = naming.s3_location(uri)
    if location is None:
        raise ToolError(f"cannot tell the S3 bucket and key of {uri!r}")
    return location


def local_path(out_dir: Path, key: str, output_prefix: str) -> Path:
    """Where the file at `key` goes under `out_dir`: its key less the output prefix, folders
    included, so that the transcripts of `a/talk.mp3` and `b/talk.mp3` never overwrite each other."""
    relative = key[len(output_prefix) :] if output_prefix and key.startswith(output_prefix) else key
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ToolError(f"will not save {key!r} under {out_dir}: its key has an empty, '.' or '..' folder")
    return out_dir.joinpath(*parts)


def download(s3, bucket: str, key: str, target: Path) -> Path | None:
    """Download s3://bucket/key to `target`; None if there is no such object."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        s3.download_file(bucket, key, str(target))
    except ClientError as error:
        if is_missing(error):
            return None
        raise
    return target


def error_note(s3, bucket: str, output_prefix: str, media_key: str) -> ErrorNote | None:
    """The `.error.json` note the function leaves when a media file gets no transcript."""
    try:
        found = s3.get_object(Bucket=bucket, Key=naming.error_key(output_prefix, media_key))
    except ClientError as error:
        if is_missing(error):
            return None
        raise
    try:
        note = json.loads(found["Body"].read())
    except json.JSONDecodeError:
        note = None
    if not isinstance(note, dict):
        note = {"reason": "the error note is not readable JSON"}
    return ErrorNote(str(note.get("reason", "no reason given")), str(note.get("jobName", "?")), found["LastModified"])


def read_transcript(body: bytes, where: str) -> dict:
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        raise ToolError(f"{where} is not a Transcribe JSON transcript")
    return document


def fetch(s3, target: Target, media_key: str, fmt: str, out_dir: Path) -> tuple[Path, str]:
    """Download the transcript of `media_key` in `fmt`: the local file and the S3 URI it came
    from. A missing one fails with the reason there is none."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    bucket, output_prefix = target.output_bucket, target.output_prefix
    key = transcript_object_key(output_prefix, media_key, fmt)
    if path := download(s3, bucket, key, local_path(out_dir, key, output_prefix)):
        return path, f"s3://{bucket}/{key}"
    if fmt == "txt" and (path := text_from_json(s3, bucket, output_prefix, media_key, out_dir)):
        return path, f"s3://{bucket}/{naming.transcript_key(output_prefix, media_key)}"
    if note := error_note(s3, bucket, output_prefix, media_key):
        raise ToolError(f"{media_key} has no transcript: {note.reason} (job {note.job_name})")
    if fmt in naming.SUBTITLE_FORMATS and exists(s3, bucket, naming.transcript_key(output_prefix, media_key)):
        raise ToolError(
            f"{media_key} has a transcript but no {fmt} subtitles: this stack does not write {fmt}"
            f" (its subtitleFormats setting); fetch another format with --format"
        )
    running = f" ({target.command('jobs')} lists the stack's jobs)" if target.selection else ""
    raise ToolError(f"no transcript yet at s3://{bucket}/{key}: is the job still running{running}, and is the media key right?")


def exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if is_missing(error):
            return False
        raise
    return True


def fetch_unredacted(s3, target: Target, media_key: str, out_dir: Path) -> tuple[Path, str]:
    """Download the unredacted JSON transcript of `media_key`, saved as `<name>.unredacted.json`
    beside where the redacted one goes. Only a stack with redactPii 'redacted_and_unredacted' keeps
    one, under its own prefix; a caller who may not read that prefix gets AWS's refusal."""
    bucket, output_prefix = target.output_bucket, target.output_prefix
    key = naming.unredacted_transcript_key(output_prefix, media_key)
    redacted = local_path(out_dir, naming.transcript_key(output_prefix, media_key), output_prefix)
    if not (path := download(s3, bucket, key, redacted.with_name(redacted.name.removesuffix(".json") + ".unredacted.json"))):
        raise ToolError(
            f"no unredacted transcript at s3://{bucket}/{key}: the stack keeps one only with redactPii"
            " 'redacted_and_unredacted', once the job has completed"
        )
    return path, f"s3://{bucket}/{key}"


def text_from_json(s3, bucket: str, output_prefix: str, media_key: str, out_dir: Path) -> Path | None:
    """The plain text, made from the JSON transcript when no `.txt` was written beside it."""
    try:
        body = s3.get_object(Bucket=bucket, Key=naming.transcript_key(output_prefix, media_key))["Body"].read()
    except ClientError as error:
        if is_missing(error):
            return None
        raise
    document = read_transcript(body, f"s3://{bucket}/{naming.transcript_key(output_prefix, media_key)}")
    target = local_path(out_dir, naming.text_key(output_prefix, media_key), output_prefix)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(readable.transcript_text(document.get("results") or {}), encoding="utf-8")
    return target
