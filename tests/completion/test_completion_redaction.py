"""The completion function with PII redaction: the `.txt` is made from the redacted transcript,
found where GetTranscriptionJob says it is, never from the unredacted one beside it. Redacted
items read `[PII]`, as in Transcribe's "Example redacted output (batch)"."""

import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.transcribe.models import FakeTranscriptionJob, transcribe_backends

import naming
from events import TRANSCRIPT_BUCKET
from job_events import job_state_change
from moto_stack import PREFIX, REGION
from transcribe_output import output, spoken

CALL = "calls/support.mp3"


@pytest.fixture(autouse=True)
def transcribe_reports_content_redaction(monkeypatch):
    """moto's GetTranscriptionJob leaves out ContentRedaction, which Transcribe returns for a job
    that redacts (botocore's model has it); put it back."""
    original = FakeTranscriptionJob.response_object

    def with_content_redaction(self, response_type):
        response = original(self, response_type)
        if response_type == "GET" and self.content_redaction.get("RedactionOutput"):
            response["TranscriptionJob"]["ContentRedaction"] = self.content_redaction
        return response

    monkeypatch.setattr(FakeTranscriptionJob, "response_object", with_content_redaction)


def redacted(utterance: list[dict], *words: str) -> list[dict]:
    """The utterance as Transcribe redacts it: each PII word's content becomes `[PII]`."""
    for item in utterance:
        alternative = item["alternatives"][0]
        if alternative["content"] in words:
            alternative["content"] = "[PII]"
            item["redaction"] = [{"confidence": "0.9999", "type": "NAME", "category": "PII"}]
    return utterance


def s3_uri(key: str) -> str:
    return f"https://s3.{REGION}.amazonaws.com/{TRANSCRIPT_BUCKET}/{key}"


def test_the_text_comes_from_the_redacted_transcript_where_the_job_says_it_is(stack):
    job_name = stack.upload(CALL)
    stack.complete(job_name, output(job_name, spoken("My name is Efua Owusu.")))
    unredacted_key = naming.transcript_key(PREFIX, CALL)
    redacted_key = f"{PREFIX}calls/redacted-support.mp3.json"
    document = output(job_name, redacted(spoken("My name is Efua Owusu."), "Efua", "Owusu"))
    stack.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key=redacted_key, Body=json.dumps(document).encode("utf-8"))
    transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name].transcript = {
        "TranscriptFileUri": s3_uri(unredacted_key),
        "RedactedTranscriptFileUri": s3_uri(redacted_key),
    }

    assert stack.run(job_state_change(job_name))["outcome"] == "transcribed"

    text = stack.read(naming.text_key(PREFIX, CALL))
    assert text == "My name is [PII] [PII].\n"
    assert "Efua" not in text


def test_a_redacted_transcript_at_the_named_key_is_read_there(stack):
    job_name = stack.upload(CALL)
    stack.complete(job_name, output(job_name, redacted(spoken("Call me at home, Kwame."), "Kwame")))
    named = s3_uri(naming.transcript_key(PREFIX, CALL))
    transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name].transcript = {"RedactedTranscriptFileUri": named}

    assert stack.run(job_state_change(job_name))["outcome"] == "transcribed"
    assert stack.read(naming.text_key(PREFIX, CALL)) == "Call me at home, [PII].\n"


def keep_unredacted(stack, job_name: str, spoken_text: str, *pii: str) -> tuple[str, str]:
    """The job as one with redacted_and_unredacted output leaves it: both transcripts under the
    unredacted prefix (the upload function's OutputKey), the URIs in GetTranscriptionJob."""
    stack.complete(job_name)
    unredacted_key = naming.unredacted_transcript_key(PREFIX, CALL)
    redacted_key = unredacted_key.rsplit("/", 1)[0] + "/redacted-" + unredacted_key.rsplit("/", 1)[1]
    for key, utterance in ((unredacted_key, spoken(spoken_text)), (redacted_key, redacted(spoken(spoken_text), *pii))):
        stack.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key=key, Body=json.dumps(output(job_name, utterance)).encode("utf-8"))
    job = transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name]
    job.content_redaction = {"RedactionType": "PII", "RedactionOutput": "redacted_and_unredacted"}
    job.transcript = {"TranscriptFileUri": s3_uri(unredacted_key), "RedactedTranscriptFileUri": s3_uri(redacted_key)}
    return unredacted_key, redacted_key


def test_with_unredacted_transcripts_only_the_redacted_one_reaches_the_transcripts_prefix(stack):
    job_name = stack.upload(CALL)
    unredacted_key, _ = keep_unredacted(stack, job_name, "My name is Efua Owusu.", "Efua", "Owusu")

    assert stack.run(job_state_change(job_name))["outcome"] == "transcribed"

    objects = stack.output_objects()
    assert unredacted_key.startswith("unredacted/transcripts/") and b"Efua" in objects[unredacted_key]
    under_transcripts = {key: body for key, body in objects.items() if key.startswith(PREFIX)}
    assert set(under_transcripts) == {naming.transcript_key(PREFIX, CALL), naming.text_key(PREFIX, CALL)}
    assert not [key for key, body in under_transcripts.items() if b"Efua" in body]
    assert json.loads(under_transcripts[naming.transcript_key(PREFIX, CALL)])["results"]["items"][3]["alternatives"][0]["content"] == "[PII]"


def test_a_redacting_job_without_a_redacted_uri_is_retried_not_read_unredacted(stack):
    job_name = stack.upload(CALL)
    keep_unredacted(stack, job_name, "My name is Efua Owusu.", "Efua", "Owusu")
    job = transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name]
    job.transcript = {"TranscriptFileUri": job.transcript["TranscriptFileUri"]}

    with pytest.raises(ValueError, match="redacts PII but Transcribe names no redacted transcript"):
        stack.run(job_state_change(job_name))
    assert not [key for key in stack.output_objects() if key.startswith(PREFIX)]


SUBTITLES = {
    "srt": "1\n00:00:00,000 --> 00:00:02,000\nMy name is [PII] [PII].\n",
    "vtt": "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\nMy name is [PII] [PII].\n",
}


def subtitle_keys_reported(stack, job_name: str) -> list[str]:
    """Where GetTranscriptionJob says the job's subtitle files are."""
    job = stack.transcribe.get_transcription_job(TranscriptionJobName=job_name)["TranscriptionJob"]
    return [naming.s3_location(uri)[1] for uri in job["Subtitles"]["SubtitleFileUris"]]


def test_with_unredacted_transcripts_the_redacted_subtitles_are_copied_beside_the_redacted_transcript(stack):
    stack.monkeypatch.setenv("REDACT_PII", "redacted_and_unredacted")
    job_name = stack.upload(CALL, subtitles=("srt", "vtt"))
    keep_unredacted(stack, job_name, "My name is Efua Owusu.", "Efua", "Owusu")
    reported = subtitle_keys_reported(stack, job_name)
    # Beside the job's output, as its OutputKey put it: under the unredacted prefix.
    assert sorted(reported) == [naming.subtitle_key("unredacted/" + PREFIX, CALL, fmt) for fmt in ("srt", "vtt")]
    for key in reported:
        stack.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key=key, Body=SUBTITLES[key.rsplit(".", 1)[1]].encode())

    assert stack.run(job_state_change(job_name))["outcome"] == "transcribed"

    under_transcripts = {key: body for key, body in stack.output_objects().items() if key.startswith(PREFIX)}
    assert set(under_transcripts) == {
        naming.transcript_key(PREFIX, CALL), naming.text_key(PREFIX, CALL), *(naming.subtitle_key(PREFIX, CALL, fmt) for fmt in SUBTITLES)
    }
    for fmt, body in SUBTITLES.items():
        assert under_transcripts[naming.subtitle_key(PREFIX, CALL, fmt)].decode() == body
    assert not [key for key, body in under_transcripts.items() if b"Efua" in body]
    assert [name for name, _ in stack.calls].count("CopyObject") == 2


def test_of_two_subtitle_files_of_a_format_only_the_one_named_like_the_redacted_transcript_is_copied(stack):
    stack.monkeypatch.setenv("REDACT_PII", "redacted_and_unredacted")
    job_name = stack.upload(CALL, subtitles=("srt",))
    _, redacted_key = keep_unredacted(stack, job_name, "My name is Efua Owusu.", "Efua", "Owusu")
    unredacted_srt = naming.subtitle_key("unredacted/" + PREFIX, CALL, "srt")
    redacted_srt = redacted_key.removesuffix(".json") + ".srt"
    stack.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key=unredacted_srt, Body=b"1\n00:00:00,000 --> 00:00:02,000\nMy name is Efua Owusu.\n")
    stack.s3.put_object(Bucket=TRANSCRIPT_BUCKET, Key=redacted_srt, Body=SUBTITLES["srt"].encode())
    transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name].subtitles["SubtitleFileUris"] = [
        s3_uri(unredacted_srt), s3_uri(redacted_srt)
    ]

    assert stack.run(job_state_change(job_name))["outcome"] == "transcribed"

    assert stack.read(naming.subtitle_key(PREFIX, CALL, "srt")) == SUBTITLES["srt"]


def test_redacted_subtitles_already_at_their_usual_keys_are_left_as_they_are(stack):
    stack.monkeypatch.setenv("REDACT_PII", "redacted")
    job_name = stack.upload(CALL, subtitles=("srt",))
    stack.complete(job_name, output(job_name, redacted(spoken("Call me at home, Kwame."), "Kwame")))
    job = transcribe_backends[DEFAULT_ACCOUNT_ID][REGION].transcriptions[job_name]
    job.transcript = {"RedactedTranscriptFileUri": s3_uri(naming.transcript_key(PREFIX, CALL))}
    assert subtitle_keys_reported(stack, job_name) == [naming.subtitle_key(PREFIX, CALL, "srt")]

    assert stack.run(job_state_change(job_name))["outcome"] == "transcribed"

    assert "CopyObject" not in [name for name, _ in stack.calls]
