"""What the two functions share beyond the naming rules: their retry policy, the environment
variables both read, and the note that says why a media file has no transcript."""

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from botocore.config import Config
from botocore.exceptions import ClientError

try:  # part of a package: the media tool
    from . import naming
except ImportError:  # in the Lambda package, whose modules sit at the top level
    import naming

# Throttling (LimitExceededException, ThrottlingException...) is retried with backoff; what still
# fails after that fails the invocation, and Lambda's or EventBridge's own retries take over.
RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 6})

DEFAULT_JOB_NAME_PREFIX = "transcribe-"
# The `source` of the job-end events the reconciler hands the completion function for jobs whose
# own Transcribe event never came; shaped like Transcribe's otherwise.
RECONCILER_SOURCE = "transcribe-pipeline.reconciler"


@dataclass(frozen=True)
class SharedSettings:
    """What every function of the stack reads from its environment."""

    output_bucket: str
    output_prefix: str
    job_name_prefix: str
    ledger_table: str


def get_job(transcribe, job_name: str) -> dict | None:
    """The job as GetTranscriptionJob describes it, or None when Transcribe cannot find it."""
    try:
        return transcribe.get_transcription_job(TranscriptionJobName=job_name)["TranscriptionJob"]
    except ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") == "BadRequestException" and "couldn't be found" in details.get("Message", ""):
            return None
        raise


def shared_settings(env) -> dict[str, str]:
    """OUTPUT_BUCKET and LEDGER_TABLE (required), OUTPUT_PREFIX and JOB_NAME_PREFIX, checked."""
    output_bucket = env.get("OUTPUT_BUCKET", "")
    if not output_bucket:
        raise ValueError("OUTPUT_BUCKET is not set: it must name the bucket for transcripts")
    ledger_table = env.get("LEDGER_TABLE", "")
    if not ledger_table:
        raise ValueError("LEDGER_TABLE is not set: it must name the stack's ledger table (DynamoDB)")
    return {
        "output_bucket": output_bucket,
        "ledger_table": ledger_table,
        "output_prefix": check_output_prefix(env.get("OUTPUT_PREFIX", naming.DEFAULT_OUTPUT_PREFIX)),
        "job_name_prefix": check_job_name_prefix(env.get("JOB_NAME_PREFIX") or DEFAULT_JOB_NAME_PREFIX),
    }


def check_output_prefix(prefix: str) -> str:
    if not naming.is_valid_output_prefix(prefix):
        raise ValueError(
            f"OUTPUT_PREFIX {prefix!r} is invalid: use letters, digits and -_.!*'()/, not starting with /"
        )
    return prefix


def check_job_name_prefix(prefix: str) -> str:
    if not naming.is_valid_job_name_prefix(prefix):
        raise ValueError(
            f"JOB_NAME_PREFIX {prefix!r} is invalid: up to {naming.JOB_NAME_PREFIX_MAX} of"
            " 0-9 a-z A-Z . _ -, starting with a letter or digit"
        )
    return prefix


def utc_seconds(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC to the second; now when no moment is given."""
    moment = moment or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def error_note(media_uri: str, job_name: str, reason: str, time: str) -> bytes:
    """The body of `<transcript base>.error.json`."""
    document = {"media": media_uri, "jobName": job_name, "reason": reason, "time": time}
    return json.dumps(document, indent=2).encode("utf-8")
