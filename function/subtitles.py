"""A redacting job's subtitles, put where the user looks for them: beside the transcript at
`<outputPrefix><media key>.srt` / `.vtt`.

Transcribe redacts subtitles as it redacts the transcript (Developer Guide, "Creating video
subtitles": redacted content is reflected as 'PII' in both the subtitle and the transcript output
files) and writes them in the same location as the job's output, which GetTranscriptionJob's
Subtitles.SubtitleFileUris name. A job that keeps an unredacted transcript too writes under
`unredacted/<outputPrefix>` (its OutputKey), so its subtitles are copied to the usual keys. Should
a job list two files of one format, only the one named like the redacted transcript is copied:
nothing that may be unredacted ever reaches `outputPrefix`.
"""

from urllib.parse import quote

import naming


def redacted_subtitles(job: dict, output_bucket: str) -> dict[str, str]:
    """Subtitle format -> the key of the job's redacted subtitles of that format in the bucket;
    empty for a job that does not redact."""
    if not (job.get("ContentRedaction") or {}).get("RedactionOutput"):
        return {}
    redacted = naming.s3_location(job.get("Transcript", {}).get("RedactedTranscriptFileUri", "")) or ("", "")
    listed = [naming.s3_location(uri) for uri in job.get("Subtitles", {}).get("SubtitleFileUris", [])]
    keys = [key for bucket, key in filter(None, listed) if bucket == output_bucket]
    found = {}
    for fmt in naming.SUBTITLE_FORMATS:
        of_format = [key for key in keys if key.endswith(f".{fmt}")]
        named_as_redacted = [key for key in of_format if key == redacted[1].removesuffix(naming.TRANSCRIPT_SUFFIX) + f".{fmt}"]
        if named_as_redacted or len(of_format) == 1:
            found[fmt] = (named_as_redacted or of_format)[0]
    return found


def place_redacted(job: dict, media_key: str, output_bucket: str, output_prefix: str, s3) -> list[tuple[str, str]]:
    """Copy each redacted subtitle file that is not at its usual key there; (from, to) of each."""
    copied = []
    for fmt, source in redacted_subtitles(job, output_bucket).items():
        usual = naming.subtitle_key(output_prefix, media_key, fmt)
        if source != usual:
            s3.copy_object(Bucket=output_bucket, Key=usual, CopySource=f"{output_bucket}/{quote(source)}")
            copied.append((source, usual))
    return copied
