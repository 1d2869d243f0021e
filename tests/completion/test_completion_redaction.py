"""The completion function with PII redaction: the `.txt` is made from the redacted transcript,
found where GetTranscriptionJob says it is, never from the unredacted one beside it. Redacted
items read `[PII]`, as in Transcribe's "Example redacted output (batch)"."""

import json

from moto.core import DEFAULT_ACCOUNT_ID
from moto.transcribe.models import transcribe_backends

import naming
from events import TRANSCRIPT_BUCKET
from job_events import job_state_change
from moto_stack import PREFIX, REGION
from transcribe_output import output, spoken

CALL = "calls/support.mp3"


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
