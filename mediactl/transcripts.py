"""Finding and downloading a media file's transcript, or the note that says why there is none."""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from botocore.exceptions import ClientError

from function import naming, readable
from mediactl.aws import is_missing
from mediactl.errors import BadInput, ToolError

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
    """Bucket and key of the HTTPS URI of an S3 object, as Transcribe reports its output files:
    path style (`https://s3.REGION.amazonaws.com/BUCKET/KEY`) or virtual-hosted style."""
    parts = urlparse(uri)
    host = parts.netloc
    path = unquote(parts.path.lstrip("/"))
    if host.startswith(("s3.", "s3-")):
        bucket, _, key = path.partition("/")
    else:
        bucket, key = host.split(".s3", 1)[0], path
    if not bucket or not key:
        raise ToolError(f"cannot tell the S3 bucket and key of {uri!r}")
    return bucket, key


def download(s3, bucket: str, key: str, out_dir: Path) -> Path | None:
    """Download s3://bucket/key into out_dir under its file name; None if there is no such object."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / key.rsplit("/", 1)[-1]
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


def fetch(s3, bucket: str, output_prefix: str, media_key: str, fmt: str, out_dir: Path) -> tuple[Path, str]:
    """Download the transcript of `media_key` in `fmt`: the local file and the S3 URI it came
    from. A missing one fails with the reason there is none."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    key = transcript_object_key(output_prefix, media_key, fmt)
    if path := download(s3, bucket, key, out_dir):
        return path, f"s3://{bucket}/{key}"
    if fmt == "txt" and (path := text_from_json(s3, bucket, output_prefix, media_key, out_dir)):
        return path, f"s3://{bucket}/{naming.transcript_key(output_prefix, media_key)}"
    if note := error_note(s3, bucket, output_prefix, media_key):
        raise ToolError(f"{media_key} has no transcript: {note.reason} (job {note.job_name})")
    raise ToolError(
        f"no transcript yet at s3://{bucket}/{key}: is the job still running (`python -m mediactl jobs`),"
        " and is the media key right?"
    )


def fetch_unredacted(s3, bucket: str, output_prefix: str, media_key: str, out_dir: Path) -> tuple[Path, str]:
    """Download the unredacted JSON transcript of `media_key`, saved as `<name>.unredacted.json`
    beside the redacted one. Only a stack with redactPii 'redacted_and_unredacted' keeps one, under
    its own prefix; a caller who may not read that prefix gets AWS's refusal."""
    key = naming.unredacted_transcript_key(output_prefix, media_key)
    if not (path := download(s3, bucket, key, out_dir)):
        raise ToolError(
            f"no unredacted transcript at s3://{bucket}/{key}: the stack keeps one only with redactPii"
            " 'redacted_and_unredacted', once the job has completed"
        )
    return path.replace(path.with_name(path.name.removesuffix(".json") + ".unredacted.json")), f"s3://{bucket}/{key}"


def text_from_json(s3, bucket: str, output_prefix: str, media_key: str, out_dir: Path) -> Path | None:
    """The plain text, made from the JSON transcript when no `.txt` was written beside it."""
    try:
        body = s3.get_object(Bucket=bucket, Key=naming.transcript_key(output_prefix, media_key))["Body"].read()
    except ClientError as error:
        if is_missing(error):
            return None
        raise
    document = read_transcript(body, f"s3://{bucket}/{naming.transcript_key(output_prefix, media_key)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / naming.text_key(output_prefix, media_key).rsplit("/", 1)[-1]
    target.write_text(readable.transcript_text(document.get("results") or {}), encoding="utf-8")
    return target
