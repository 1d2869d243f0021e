"""The pipeline's naming rules, as pure functions.

One module, shared by the upload handler, the completion function, the Pulumi program and the
media tool, so that a media key always maps to the same job name and the same transcript keys.
Standard library only: it ships inside the Lambda package as it is.
"""

import hashlib
import re
import unicodedata
import urllib.parse

SUPPORTED_FORMATS = ("mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a")
SUBTITLE_FORMATS = ("srt", "vtt")
# Transcribe's options as the settings and the function's environment name them.
VOCABULARY_FILTER_METHODS = ("mask", "remove", "tag")
REDACT_PII = ("off", "redacted", "redacted_and_unredacted")
MIN_SPEAKERS, MAX_SPEAKERS = 2, 30
DEFAULT_OUTPUT_PREFIX = "transcripts/"
# With redacted and unredacted transcripts, jobs write under this prefix (before outputPrefix), so
# that a grant on outputPrefix gives the redacted transcripts alone.
UNREDACTED_PREFIX = "unredacted/"

# Transcribe refuses media files of 2 GB and more.
MAX_MEDIA_BYTES = 2 * 1024**3

# StartTranscriptionJob's limits (botocore's model for the transcribe service).
JOB_NAME_MAX = 200
JOB_NAME_PREFIX_MAX = 64
OUTPUT_KEY_MAX = 1024
TAG_VALUE_MAX = 256

TRANSCRIPT_SUFFIX = ".json"
TEXT_SUFFIX = ".txt"
ERROR_SUFFIX = ".error.json"

_NOT_IN_JOB_NAME = re.compile(r"[^0-9A-Za-z._-]+")
_NOT_IN_OUTPUT_KEY = re.compile(r"[^A-Za-z0-9\-_.!*'()/]")
_JOB_NAME_PREFIX = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
_STACK_JOB_NAME_PREFIX = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*-[0-9A-Za-z][0-9A-Za-z._-]*-[0-9a-f]{6}-")
_OUTPUT_PREFIX = re.compile(r"[A-Za-z0-9\-_.!*'()/]*")
_TAG_PUNCTUATION = set(" _.:/=+-@")


def _digest(*parts: str, length: int) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:length]


def _ascii_words(text: str) -> str:
    """Letters without their accents, other characters as they are ('Café' -> 'Cafe')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def media_format(key: str) -> str | None:
    """Transcribe's MediaFormat for a key, from its extension in any case; None if unsupported."""
    stem, dot, extension = key.rpartition(".")
    if not dot or not stem or "/" in extension:
        return None
    extension = extension.lower()
    return extension if extension in SUPPORTED_FORMATS else None


def is_valid_job_name_prefix(prefix: str) -> bool:
    return len(prefix) <= JOB_NAME_PREFIX_MAX and bool(_JOB_NAME_PREFIX.fullmatch(prefix))


def is_stack_job_name_prefix(prefix: str) -> bool:
    """Whether `prefix` has the shape `job_name_prefix` gives: `<project>-<stack>-<6 hex digits>-`."""
    return is_valid_job_name_prefix(prefix) and bool(_STACK_JOB_NAME_PREFIX.fullmatch(prefix))


def job_name_prefix(project: str, stack: str) -> str:
    """The prefix every job name of one stack starts with.

    The short digest keeps stacks apart even when one stack's name starts with another's
    ('dev' and 'dev-eu'), so listing or cleaning one stack's jobs never touches the other's.
    """
    readable = "-".join(
        _NOT_IN_JOB_NAME.sub("-", _ascii_words(part)).strip("-._")[:24] or "x"
        for part in (project, stack)
    )
    return f"{readable}-{_digest(project, stack, length=6)}-"


def upload_version(etag: str, size: int) -> str:
    """What tells one upload of a key from another: its size and ETag. S3 reports both in every
    ObjectCreated event, in every listing and in HeadObject (the ETag quoted there), so every path
    that reports an upload names the same version; an identical re-upload is the same version."""
    return f"{int(size)}-{etag.strip(chr(34))}"


def ledger_id(bucket: str, key: str) -> str:
    """The ledger's partition key for a media object: a digest of its bucket and key, so that an
    erased object's item keeps no trace of its name."""
    return _digest(bucket, key, length=32)


def attempt_id(version: str, attempt: int) -> str:
    """The upload identity a job name is made from: the version, and for a forced
    re-transcription the attempt number too, so that it gets a job name of its own."""
    return version if not attempt else f"{version}#{attempt}"


def job_name(prefix: str, bucket: str, key: str, upload_id: str) -> str:
    """A valid, readable job name for one upload of `key` (decoded) to `bucket`.

    The digest covers the bucket, the exact key and the upload's identity (`attempt_id`), so every
    report of one upload gets the same name, a re-upload of the same key with other content a new
    one, and keys that read alike once cleaned ('a b.mp3', 'a_b.mp3') differ.
    """
    digest = _digest(bucket, key, upload_id, length=16)
    room = JOB_NAME_MAX - len(prefix) - len(digest) - 1
    readable = _NOT_IN_JOB_NAME.sub("-", _ascii_words(key)).strip("-._")
    # The end of a long key (its file name) says more than its folders.
    readable = readable[-room:].lstrip("-._") or "media"
    return f"{prefix}{readable}-{digest}"


KEY_PREFIX_MAX = 512


def is_valid_key_prefix(prefix: str) -> bool:
    """A key prefix of the media bucket (the stack's keyPrefix, mediactl's --prefix): no leading
    '/', no '*' (the notification's filter takes it literally), 512 characters at most."""
    return not prefix.startswith("/") and "*" not in prefix and len(prefix) <= KEY_PREFIX_MAX


def is_valid_output_prefix(prefix: str) -> bool:
    return len(prefix) <= 256 and not prefix.startswith("/") and bool(_OUTPUT_PREFIX.fullmatch(prefix))


# S3's general purpose bucket naming rules (S3 User Guide, "General purpose bucket naming rules"),
# for the program's bucket-name settings and mediactl's --bucket alike.
_BUCKET_NAME_LENGTH = (3, 63)
_BUCKET_NAME_CHARACTERS = re.compile(r"[a-z0-9.-]*")
_IP_ADDRESS_FORM = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
_BUCKET_NAME_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_NAME_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """What S3's bucket naming rules say against `name`, one sentence; None for a valid name."""
    low, high = _BUCKET_NAME_LENGTH
    if not low <= len(name) <= high:
        return f"an S3 bucket name has {low} to {high} characters, this one {len(name)}"
    if not _BUCKET_NAME_CHARACTERS.fullmatch(name):
        return "an S3 bucket name has only lower-case letters, digits, '.' and '-'"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "an S3 bucket name begins and ends with a letter or digit"
    if ".." in name:
        return "an S3 bucket name has no two adjacent periods"
    if _IP_ADDRESS_FORM.fullmatch(name):
        return "an S3 bucket name is not written as an IP address"
    if prefix := next((p for p in _BUCKET_NAME_RESERVED_PREFIXES if name.startswith(p)), None):
        return f"S3 reserves bucket names starting with {prefix!r}"
    if suffix := next((x for x in _BUCKET_NAME_RESERVED_SUFFIXES if name.endswith(x)), None):
        return f"S3 reserves bucket names ending with {suffix!r}"
    return None


def folder_problem(key: str) -> str | None:
    """Why the folders of an S3 key (what comes before its last '/') cannot be folders on disk:
    an empty one ('a//b', a leading '/'), '.' or '..'; None when they can."""
    folders = key.split("/")[:-1]
    if "" in folders:
        return "has an empty folder (two '/' in a row, or a leading '/')"
    if odd := next((folder for folder in folders if folder in (".", "..")), None):
        return f"has a {odd!r} folder"
    return None


def transcript_base(output_prefix: str, media_key: str) -> str:
    """Where a media file's results live, without a suffix: `<prefix><media key>`.

    Keys whose characters Transcribe's OutputKey refuses (spaces, accents, '#'...) or that are
    too long are cleaned and given a short digest of the original key, so two media keys never
    share a transcript.
    """
    room = OUTPUT_KEY_MAX - len(output_prefix) - len(ERROR_SUFFIX)
    clean = _NOT_IN_OUTPUT_KEY.sub("_", media_key)
    if clean != media_key or len(clean) > room:
        tag = "-" + _digest(media_key, length=8)
        clean = clean[: room - len(tag)] + tag
    return output_prefix + clean


def transcript_key(output_prefix: str, media_key: str) -> str:
    """The key of the JSON transcript Transcribe writes (subtitles sit beside it)."""
    return transcript_base(output_prefix, media_key) + TRANSCRIPT_SUFFIX


def unredacted_transcript_key(output_prefix: str, media_key: str) -> str:
    """Where a job that keeps an unredacted transcript writes its output (both transcripts); the
    completion function copies the redacted one to `transcript_key`."""
    return transcript_key(UNREDACTED_PREFIX + output_prefix, media_key)


def text_key(output_prefix: str, media_key: str) -> str:
    """The key of the plain-text transcript, next to the JSON one."""
    return transcript_base(output_prefix, media_key) + TEXT_SUFFIX


def error_key(output_prefix: str, media_key: str) -> str:
    """The key of the note that says why a media file has no transcript."""
    return transcript_base(output_prefix, media_key) + ERROR_SUFFIX


def subtitle_key(output_prefix: str, media_key: str, subtitle_format: str) -> str:
    return f"{transcript_base(output_prefix, media_key)}.{subtitle_format}"


def tag_value(text: str) -> str:
    """`text` as a valid AWS tag value: letters, digits, spaces and `_.:/=+-@`, 256 at most."""
    cleaned = "".join(c if c.isalnum() or c in _TAG_PUNCTUATION else "_" for c in text)
    return cleaned[:TAG_VALUE_MAX]


def vocabulary_name(job_name_prefix: str, kind: str, language_code: str, content: bytes) -> str:
    """The name of a stack's vocabulary or vocabulary filter (`kind`) in one language.

    The digest of its content makes a changed vocabulary a new one, created before the old one
    is deleted, so a job never names a vocabulary that is being replaced or is gone.
    """
    digest = hashlib.sha256(language_code.encode("utf-8") + b"\0" + content).hexdigest()[:16]
    return f"{job_name_prefix}{kind}-{language_code}-{digest}"


def s3_location(uri: str) -> tuple[str, str] | None:
    """(bucket, key) of an S3 object's URI as Transcribe reports its output files: s3://,
    virtual-hosted https (`BUCKET.s3.REGION.amazonaws.com/KEY`) or path style
    (`s3.REGION.amazonaws.com/BUCKET/KEY`, and an emulator's `localhost:PORT/BUCKET/KEY`);
    None when it names no bucket and key."""
    parts = urllib.parse.urlsplit(uri)
    path = urllib.parse.unquote(parts.path).lstrip("/")
    host = parts.netloc
    if parts.scheme == "s3":
        bucket, key = host, path
    elif parts.scheme not in ("http", "https") or not host:
        return None
    elif not host.startswith(("s3.", "s3-")) and (".s3." in host or ".s3-" in host):
        bucket, key = host.split(".s3", 1)[0], path
    else:
        bucket, _, key = path.partition("/")
    return (bucket, key) if bucket and key else None
