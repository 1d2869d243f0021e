"""The email a finished job sends (through the stack's SNS topic, when notifyEmail is set): its
subject and text, from what GetTranscriptionJob and the transcript say."""

import unicodedata

# SNS takes subjects of ASCII characters, without line breaks, under 100 characters.
SUBJECT_MAX = 99


def language_of(job: dict) -> str:
    if job.get("LanguageCode"):
        return job["LanguageCode"]
    return ", ".join(entry["LanguageCode"] for entry in job.get("LanguageCodes") or [] if entry.get("LanguageCode"))


def clock(seconds: float | None) -> str:
    """62.4 -> '1:02', 3725 -> '1:02:05'; '' when unknown."""
    if seconds is None:
        return ""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def subject(event: str, media_key: str) -> str:
    """'<event>: <file name>', in the ASCII SNS accepts, cut to fit."""
    name = media_key.rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isprintable() else "_" for c in ascii_name).strip() or "media file"
    text = f"{event}: {ascii_name}"
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3] + "..."


def completed_message(media_uri: str, facts: list[tuple[str, str]], bucket: str, files: list[tuple[str, str]]) -> str:
    lines = [f"Transcript ready for {media_uri}", ""]
    lines += [f"{label}: {value}" for label, value in facts if value]
    lines += ["", "Files:"]
    lines += [f"  s3://{bucket}/{key}  ({what})" for key, what in files]
    return "\n".join(lines) + "\n"


def failed_message(media_uri: str, job_name: str, reason: str, error_uri: str) -> str:
    lines = [
        f"Transcription failed for {media_uri}",
        "",
        f"Reason: {reason}",
        f"Job: {job_name}",
        "",
        f"Details: {error_uri}",
    ]
    return "\n".join(lines) + "\n"


def publish(sns, topic_arn: str, subject_line: str, message: str) -> None:
    sns.publish(TopicArn=topic_arn, Subject=subject_line, Message=message)
