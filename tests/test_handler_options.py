"""Transcribe's options in the upload function's StartTranscriptionJob requests: each option alone
and all together, every request checked against botocore's model of the API."""

import json

import job_request
import pytest

from aws_model import assert_valid_request
from events import MEDIA_BUCKET, s3_event, s3_record
from lambda_env import fresh_import

from function import naming

VOCABULARIES = {"en-US": "transcribe-pipeline-test-abc123-vocabulary-en-US-0123456789abcdef"}
FILTERS = {"en-US": "transcribe-pipeline-test-abc123-filter-en-US-fedcba9876543210"}
OPTIONS = {
    "vocabulary": {"VOCABULARY_NAMES": json.dumps(VOCABULARIES)},
    "filter": {"VOCABULARY_FILTER_NAMES": json.dumps(FILTERS), "VOCABULARY_FILTER_METHOD": "remove"},
    "channels": {"CHANNEL_IDENTIFICATION": "true"},
    "channels-and-speakers": {"CHANNEL_IDENTIFICATION": "true", "MAX_SPEAKERS": "4"},
    "redaction": {"REDACT_PII": "redacted"},
    "redaction-of-some-types": {"REDACT_PII": "redacted_and_unredacted", "PII_ENTITY_TYPES": "NAME,SSN,EMAIL"},
}
EVERY_OPTION = {key: value for option in OPTIONS.values() for key, value in option.items()}


@pytest.fixture
def handler(aws_credentials, handler_env):
    return fresh_import("handler")


def request_for(handler, env: dict) -> dict:
    settings = handler.Settings.from_environ({"OUTPUT_BUCKET": "transcripts", "LEDGER_TABLE": "ledger", "LANGUAGE_CODE": "en-US", **env})
    request = job_request.job_request(MEDIA_BUCKET, "calls/support.wav", "transcribe-support-wav-0123", settings)
    assert_valid_request("transcribe", "StartTranscriptionJob", request)
    return request


@pytest.mark.parametrize("option", [*OPTIONS, "all"])
def test_each_option_alone_and_all_together_make_a_valid_request(handler, option):
    request = request_for(handler, EVERY_OPTION if option == "all" else OPTIONS[option])
    settings = request.get("Settings", {})
    if option in ("vocabulary", "all"):
        assert settings["VocabularyName"] == VOCABULARIES["en-US"]
    if option in ("filter", "all"):
        assert settings["VocabularyFilterName"] == FILTERS["en-US"] and settings["VocabularyFilterMethod"] == "remove"
    if option in ("channels", "channels-and-speakers", "all"):
        assert settings["ChannelIdentification"] is True
    if option in ("channels-and-speakers", "all"):
        assert settings["ShowSpeakerLabels"] is True and settings["MaxSpeakerLabels"] == 4
    if option == "redaction":
        assert request["ContentRedaction"] == {"RedactionType": "PII", "RedactionOutput": "redacted"}
    if option in ("redaction-of-some-types", "all"):
        assert request["ContentRedaction"]["RedactionOutput"] == "redacted_and_unredacted"
        assert request["ContentRedaction"]["PiiEntityTypes"] == ["NAME", "SSN", "EMAIL"]
        # Both transcripts are written under the unredacted prefix, outside the transcripts'.
        assert request["OutputKey"] == "unredacted/transcripts/calls/support.wav.json"
    else:
        assert request["OutputKey"] == naming.transcript_key("transcripts/", "calls/support.wav")


def test_without_options_the_request_has_none_of_them(handler):
    request = request_for(handler, {})
    assert "Settings" not in request and "ContentRedaction" not in request and "LanguageIdSettings" not in request


def test_a_vocabulary_in_another_language_than_the_jobs_is_not_used(handler):
    request = request_for(handler, {**OPTIONS["vocabulary"], "LANGUAGE_CODE": "en-GB"})
    assert "Settings" not in request


def test_with_language_identification_vocabularies_and_filters_go_by_language(handler):
    names = {"en-US": "v-en", "es-US": "v-es"}
    filters = {"en-US": "f-en", "es-US": "f-es"}
    request = request_for(handler, {
        "LANGUAGE_CODE": "auto", "LANGUAGE_OPTIONS": "en-US,es-US", "VOCABULARY_NAMES": json.dumps(names),
        "VOCABULARY_FILTER_NAMES": json.dumps(filters), "VOCABULARY_FILTER_METHOD": "mask", "CHANNEL_IDENTIFICATION": "true",
    })  # fmt: skip
    assert request["IdentifyLanguage"] is True and "LanguageCode" not in request
    assert request["LanguageIdSettings"] == {
        "en-US": {"VocabularyName": "v-en", "VocabularyFilterName": "f-en"},
        "es-US": {"VocabularyName": "v-es", "VocabularyFilterName": "f-es"},
    }
    assert request["Settings"] == {"ChannelIdentification": True, "VocabularyFilterMethod": "mask"}


@pytest.mark.parametrize(
    "env, message",
    [
        ({"VOCABULARY_NAMES": "en-US=v"}, "VOCABULARY_NAMES is 'en-US=v': it must be a JSON object"),
        ({"VOCABULARY_FILTER_METHOD": "hide"}, "VOCABULARY_FILTER_METHOD is 'hide'"),
        ({"CHANNEL_IDENTIFICATION": "yes"}, "CHANNEL_IDENTIFICATION is 'yes': it must be true or false"),
        ({"REDACT_PII": "on"}, "REDACT_PII is 'on'"),
    ],
)
def test_a_bad_option_variable_stops_the_function_with_one_sentence(handler, env, message):
    with pytest.raises(ValueError, match=message):
        handler.Settings.from_environ({"OUTPUT_BUCKET": "transcripts", "LEDGER_TABLE": "ledger", **env})


@pytest.fixture
def every_option_env(handler_env):
    for name, value in EVERY_OPTION.items():
        handler_env.setenv(name, value)


def test_an_upload_starts_a_job_with_every_option_through_the_queue(every_option_env, pipeline):
    # Transcribe (and moto) refuse a job naming a vocabulary that does not exist. The pipeline
    # fixture checks the request against botocore's model as it is sent.
    pipeline.transcribe.create_vocabulary(VocabularyName=VOCABULARIES["en-US"], LanguageCode="en-US", Phrases=["Los-Angeles"])
    assert pipeline.deliver(s3_event(s3_record("calls/support.wav"))) == set()
    (request,) = pipeline.requests
    assert request["Settings"]["VocabularyName"] == VOCABULARIES["en-US"]
    assert request["ContentRedaction"]["RedactionOutput"] == "redacted_and_unredacted"
    (job,) = pipeline.jobs()
    assert job["Media"]["MediaFileUri"] == f"s3://{MEDIA_BUCKET}/calls/support.wav"
