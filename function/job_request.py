"""The StartTranscriptionJob request for one upload, as the stack's settings shape it: pure
functions of the upload and the settings."""

import naming
from upload_settings import Settings


def job_request(bucket: str, key: str, job_name: str, settings: Settings) -> dict:
    """The StartTranscriptionJob parameters for the upload of `key` to `bucket`."""
    request = {
        "TranscriptionJobName": job_name,
        "Media": {"MediaFileUri": f"s3://{bucket}/{key}"},
        "MediaFormat": naming.media_format(key),
        "OutputBucketName": settings.output_bucket,
        "OutputKey": output_key(settings, key),
        "Tags": [
            *({"Key": k, "Value": naming.tag_value(v)} for k, v in settings.job_tags),
            {"Key": "media-key", "Value": naming.tag_value(key)},
        ],
    }
    if settings.language_code == "auto":
        request["IdentifyLanguage"] = True
        if settings.language_options:
            request["LanguageOptions"] = list(settings.language_options)
    else:
        request["LanguageCode"] = settings.language_code
    if settings.subtitle_formats:
        request["Subtitles"] = {"Formats": list(settings.subtitle_formats), "OutputStartIndex": 1}
    if job_settings := transcription_settings(settings):
        request["Settings"] = job_settings
    if settings.language_code == "auto" and (language_id := language_id_settings(settings)):
        request["LanguageIdSettings"] = language_id
    if settings.redact_pii != "off":
        request["ContentRedaction"] = {"RedactionType": "PII", "RedactionOutput": settings.redact_pii}
        if settings.pii_entity_types:
            request["ContentRedaction"]["PiiEntityTypes"] = list(settings.pii_entity_types)
    if settings.data_access_role_arn:
        # Deferred execution queues jobs beyond the concurrent-job quota instead of refusing them.
        request["JobExecutionSettings"] = {
            "AllowDeferredExecution": True,
            "DataAccessRoleArn": settings.data_access_role_arn,
        }
    return request


def output_key(settings: Settings, media_key: str) -> str:
    """Where Transcribe writes the job's output: beside the other results, or under the
    unredacted prefix when the job also keeps an unredacted transcript."""
    if settings.redact_pii == "redacted_and_unredacted":
        return naming.unredacted_transcript_key(settings.output_prefix, media_key)
    return naming.transcript_key(settings.output_prefix, media_key)


def transcription_settings(settings: Settings) -> dict:
    """The job's `Settings`: speaker labels and channel identification (together if both are
    on), and the vocabulary and filter of the job's language when it is known in advance."""
    job_settings = {}
    if settings.max_speakers:
        job_settings |= {"ShowSpeakerLabels": True, "MaxSpeakerLabels": settings.max_speakers}
    if settings.channel_identification:
        job_settings["ChannelIdentification"] = True
    if settings.language_code != "auto":
        if name := dict(settings.vocabulary_names).get(settings.language_code):
            job_settings["VocabularyName"] = name
        if name := dict(settings.vocabulary_filter_names).get(settings.language_code):
            job_settings["VocabularyFilterName"] = name
    if settings.vocabulary_filter_names:
        job_settings["VocabularyFilterMethod"] = settings.vocabulary_filter_method
    return job_settings


def language_id_settings(settings: Settings) -> dict:
    """With language identification, the vocabulary and filter of each language Transcribe may
    find: Settings cannot name them before the language is known."""
    vocabularies, filters = dict(settings.vocabulary_names), dict(settings.vocabulary_filter_names)
    result = {}
    for language in sorted(vocabularies.keys() | filters.keys()):
        entry = {}
        if language in vocabularies:
            entry["VocabularyName"] = vocabularies[language]
        if language in filters:
            entry["VocabularyFilterName"] = filters[language]
        result[language] = entry
    return result
