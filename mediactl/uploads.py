"""Checking media files, naming their S3 keys, and uploading them with a progress bar each."""

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from mediactl.aws import error_code
from mediactl.errors import BadInput, ToolError
from transcribe_pipeline.function import naming

MB = 1024**2
# Files above 8 MB go up in 8 MB parts, ten at a time (boto3's managed transfer).
TRANSFER = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB, max_concurrency=10)
MAX_KEY_BYTES = 1024

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "amr": "audio/amr",
    "webm": "video/webm",
    "m4a": "audio/mp4",
}


@dataclass(frozen=True)
class MediaFile:
    path: Path
    size: int
    media_format: str
    key: str


@dataclass(frozen=True)
class Uploaded:
    media: MediaFile
    bucket: str
    # S3's time for the object: its transcription job is created after it.
    last_modified: datetime
    # As S3's notification gives it: without quotes.
    etag: str = ""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.media.key}"


def object_key(file_name: str, key_prefix: str, prefix: str) -> str:
    """`<key prefix><prefix><file name>`, the extension in lower case: the bucket notification's
    suffix filters are case-sensitive and only match `.mp3` and `.MP3`, never `.Mp3`."""
    stem, _, extension = file_name.rpartition(".")
    return f"{key_prefix}{prefix}{stem}.{extension.lower()}"


def shown(name: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 as \\xNN."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checked_prefix(prefix: str) -> str:
    """--prefix under the rules of the stack's keyPrefix, ending with '/' (added if missing)."""
    if not is_utf8(prefix):
        raise BadInput(f"--prefix '{shown(prefix)}' is not valid UTF-8: S3 keys are UTF-8")
    if not naming.is_valid_key_prefix(prefix):
        raise BadInput(
            f"--prefix {prefix!r} is not a key prefix: use one such as 'team/'"
            f" (no leading '/', no '*', {naming.KEY_PREFIX_MAX} characters at most)"
        )
    folder = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    # S3 takes such keys, but their transcripts could not be saved under --out.
    if problem := naming.folder_problem(folder):
        raise BadInput(f"--prefix {prefix!r} {problem}: name every folder, as in 'team/2026/'")
    return folder


def problem_with(path: Path) -> str | None:
    """Why `path` cannot be transcribed, or None."""
    if not is_utf8(path.name):
        return "the file name is not valid UTF-8, which S3 keys must be: rename the file"
    if not path.exists():
        return "no such file"
    if not path.is_file():
        return "not a file"
    if naming.media_format(path.name) is None:
        found = f"'{path.suffix}'" if path.suffix else "no extension"
        return f"unsupported file type ({found}): use one of {', '.join(naming.SUPPORTED_FORMATS)}"
    size = path.stat().st_size
    if size == 0:
        return "the file is empty"
    if size >= naming.MAX_MEDIA_BYTES:
        return f"the file has {size} bytes; Transcribe takes files under 2 GB ({naming.MAX_MEDIA_BYTES} bytes)"
    if not os.access(path, os.R_OK):
        return "permission denied: the file cannot be read"
    return None


def checked_files(paths: list[str], key_prefix: str, prefix: str) -> list[MediaFile]:
    """Every file, checked before anything is sent; all problems at once, one line each."""
    problems = []
    files = []
    owner_of_key: dict[str, Path] = {}
    for name in paths:
        path = Path(name)
        if problem := problem_with(path):
            problems.append(f"{shown(name)}: {problem}")
            continue
        key = object_key(path.name, key_prefix, prefix)
        if problem := naming.folder_problem(key):
            problems.append(f"{name}: its S3 key {key!r} (the stack's keyPrefix {key_prefix!r}, --prefix, the file name) {problem}")
            continue
        if key in owner_of_key:
            problems.append(f"{name}: same S3 key {key!r} as {owner_of_key[key]}: rename one of them")
            continue
        if len(key.encode("utf-8")) > MAX_KEY_BYTES:
            problems.append(f"{name}: the S3 key would be over {MAX_KEY_BYTES} bytes: use a shorter name or prefix")
            continue
        owner_of_key[key] = path
        files.append(MediaFile(path, path.stat().st_size, naming.media_format(path.name), key))
    if problems:
        raise BadInput("\n".join(problems))
    return files


def check_bucket(s3, bucket: str) -> None:
    """Fail with a clear line before any progress bar if the bucket is missing or closed to us."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error_code(error)
        if code in ("404", "NoSuchBucket"):
            raise ToolError(f"no such bucket: {bucket}") from None
        if code in ("403", "AccessDenied"):
            raise ToolError(f"access denied to bucket {bucket}: the AWS identity in use lacks the permission") from None
        raise


def upload_files(s3, files: list[MediaFile], bucket: str, console: Console) -> list[Uploaded]:
    uploaded = []
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        tasks = [progress.add_task(media.path.name, total=media.size) for media in files]
        for media, task in zip(files, tasks):
            s3.upload_file(
                str(media.path),
                bucket,
                media.key,
                ExtraArgs={"ContentType": CONTENT_TYPES[media.media_format]},
                Config=TRANSFER,
                Callback=lambda sent, task=task: progress.advance(task, sent),
            )
            head = s3.head_object(Bucket=bucket, Key=media.key)
            uploaded.append(Uploaded(media, bucket, head["LastModified"], head["ETag"].strip('"')))
    return uploaded
